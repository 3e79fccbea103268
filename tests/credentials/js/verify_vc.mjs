// An independent verifier from another ecosystem: Digital Bazaar's @digitalbazaar/vc with its default checks
// (jsonld-signatures: the issuer must control the verification method; Data Integrity eddsa-jcs-2022 and
// ecdsa-sd-2023; Bitstring Status List), a did:web resolver over the DID documents the test registry serves,
// did:key for holders. Nothing is fetched from the network: contexts and DID documents come on stdin.
// stdin: {contexts: {url: text}, didDocuments: {did: doc}, statusLists: {url: credential},
//         items: [{name, kind: credential|presentation|derived, document, challenge?, domain?}]}
// stdout: {name: {verified, error?}}
import * as vc from "@digitalbazaar/vc";
import {DataIntegrityProof} from "@digitalbazaar/data-integrity";
import * as eddsaJcs from "@digitalbazaar/eddsa-jcs-2022-cryptosuite";
import * as ecdsaSd from "@digitalbazaar/ecdsa-sd-2023-cryptosuite";
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
import * as EcdsaMultikey from "@digitalbazaar/ecdsa-multikey";
import * as didKey from "@digitalbazaar/did-method-key";
import {checkStatus} from "@digitalbazaar/vc-bitstring-status-list";
import {decodeList} from "@digitalbazaar/vc-bitstring-status-list";
import didContext from "did-context";
import multikeyContext from "@digitalbazaar/multikey-context";
import dataIntegrityContext from "@digitalbazaar/data-integrity-context";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const contexts = new Map(Object.entries(input.contexts).map(([url, text]) => [url, JSON.parse(text)]));
for (const m of [didContext, multikeyContext, dataIntegrityContext]) {
  for (const [url, context] of m.contexts) if (!contexts.has(url)) contexts.set(url, context);
}
const keyDriver = didKey.driver();
keyDriver.use({multibaseMultikeyHeader: "z6Mk", fromMultibase: Ed25519Multikey.from});
keyDriver.use({multibaseMultikeyHeader: "zDna", fromMultibase: EcdsaMultikey.from});

function didWeb(url) {  // the did:web resolver: the documents the test registry serves
  const [did, fragment] = url.split("#");
  const document = input.didDocuments[did];
  if (!document) throw new Error(`did:web document not found: ${did}`);
  if (!fragment) return document;
  const method = document.verificationMethod.find((m) => m.id === url);
  if (!method) throw new Error(`verification method not found: ${url}`);
  return {"@context": "https://w3id.org/security/multikey/v1", ...method};
}

async function documentLoader(url) {
  let document;
  if (contexts.has(url)) document = contexts.get(url);
  else if (url.startsWith("did:web:")) document = didWeb(url);
  else if (url.startsWith("did:key:")) document = await keyDriver.get({url});
  else if (url in (input.statusLists || {})) document = input.statusLists[url];
  else throw new Error(`not available offline: ${url}`);
  return {contextUrl: null, documentUrl: url, document};
}

const jcsSuite = new DataIntegrityProof({cryptosuite: eddsaJcs.createVerifyCryptosuite()});
const sdSuite = new DataIntegrityProof({cryptosuite: ecdsaSd.createVerifyCryptosuite()});
const suite = [jcsSuite, sdSuite];

// Bitstring Status List with the library's checks (the list credential verified, issuers matching); a
// 2-bit "message" entry is read as its two bits (the library reads one bit per index).
async function checkStatusWithSize(options) {
  const result = await checkStatus(options);
  if (!result.verified) return result;
  const entries = [options.credential.credentialStatus].flat();
  for (const entry of entries) {
    const size = entry.statusSize || 1;
    const listed = input.statusLists[entry.statusListCredential];
    const list = await decodeList({encodedList: listed.credentialSubject.encodedList});
    const index = parseInt(entry.statusListIndex, 10);
    let value = 0;
    for (let bit = 0; bit < size; bit++) value = (value << 1) | (list.bitstring.get(index * size + bit) ? 1 : 0);
    if (value !== 0) return {verified: false, error: new Error(`status value ${value} (${entry.statusPurpose})`)};
  }
  return result;
}

const answers = {};
for (const item of input.items) {
  try {
    let result;
    if (item.kind === "presentation") {
      result = await vc.verify({presentation: item.document, challenge: item.challenge, domain: item.domain, suite,
                                documentLoader, checkStatus: checkStatusWithSize});
    } else {
      result = await vc.verifyCredential({credential: item.document, suite, documentLoader, checkStatus: checkStatusWithSize});
    }
    const error = result.error || result.statusResult?.error || (result.results || []).find((r) => r.error)?.error;
    answers[item.name] = {verified: result.verified, ...(result.verified ? {} : {error: String(error?.message || error || JSON.stringify(result).slice(0, 500))})};
  } catch (error) {
    answers[item.name] = {verified: false, error: String(error && error.message ? error.message : error)};
  }
}
process.stdout.write(JSON.stringify(answers));
