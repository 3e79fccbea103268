// The web application is served by the registry under /app/ (see README: "The web application").
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'

import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import Components from 'unplugin-vue-components/vite'
import { defineConfig, type Plugin } from 'vite'

const VENDOR = {
  'swagger-ui-bundle.js': 'swagger-ui-dist/swagger-ui-bundle.js',
  'swagger-ui.css': 'swagger-ui-dist/swagger-ui.css',
  'redoc.standalone.js': 'redoc/bundles/redoc.standalone.js',
}

/** The API documentation's scripts, from npm (never a CDN), and a gzip copy of every text asset. */
function vendorAndPrecompress(): Plugin {
  let outDir = 'dist'
  return {
    name: 'eduledger-vendor-and-gzip',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    closeBundle() {
      mkdirSync(join(outDir, 'vendor'), { recursive: true })
      for (const [name, source] of Object.entries(VENDOR)) {
        copyFileSync(resolve('node_modules', source), join(outDir, 'vendor', name))
      }
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name)
          return statSync(path).isDirectory() ? walk(path) : [path]
        })
      for (const path of walk(outDir)) {
        if (/\.(m?js|css|html|svg|json)$/.test(path)) {
          writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }))
        }
      }
    },
  }
}

export default defineConfig({
  base: '/app/',
  plugins: [
    vue(),
    AutoImport({ resolvers: [ElementPlusResolver()], dts: false }),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false, dirs: [] }),
    vendorAndPrecompress(),
  ],
  resolve: { alias: { '#': resolve(import.meta.dirname, 'src') } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    target: 'es2022',
  },
})
