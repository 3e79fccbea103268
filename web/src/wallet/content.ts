/**
 * Content identifiers as the registry computes them (``ipfs add --cid-version=1``: UnixFS, 256 KiB
 * chunks, balanced layout with 174 links, raw leaves; several parts: the directory of them by
 * name), computed in the browser while the files are read; no block is kept.
 */
import { importer, type ImportCandidate } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'

const discard = {
  put: async (cid: CID) => cid,
  has: async () => false,
}

async function* chunks(file: File, onBytes: (count: number) => void): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    onBytes(value.byteLength)
    yield value
  }
}

export interface BundleRoot {
  cid: string
  /** The multihash digest: the registration's contentHash (0x + 64 hex digits). */
  contentHash: string
}

/** The bundle's root: the one part's CID, or the directory of the parts. */
export async function bundleRoot(files: File[], onProgress: (fraction: number) => void): Promise<BundleRoot> {
  const total = files.reduce((sum, file) => sum + file.size, 0) || 1
  let read = 0
  const candidates: ImportCandidate[] = files.map((file) => ({
    path: file.name,
    content: chunks(file, (count) => {
      read += count
      onProgress(Math.min(1, read / total))
    }),
  }))
  let root: CID | undefined
  for await (const entry of importer(candidates, discard as never, {
    profile: 'unixfs-v0-2015',
    cidVersion: 1,
    rawLeaves: true,
    wrapWithDirectory: files.length > 1,
  })) {
    root = entry.cid
  }
  if (!root) throw new Error('no content')
  const digest = Array.from(root.multihash.digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return { cid: root.toString(), contentHash: `0x${digest}` }
}
