#!/usr/bin/env node
// Builds what tsc cannot for the Electron shell: the preload as one CommonJS file (sandboxed
// preloads may only require 'electron' and cannot be ESM) and the tray icons next to main.
// Run after `tsc -p app`; `node scripts/build-electron.js` or `import { buildElectron }`.
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname

export async function buildElectron() {
  await build({
    entryPoints: [join(root, 'app/preload/preload.ts')],
    outfile: join(root, 'dist/app/preload/preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'chrome140',
    external: ['electron'],
    sourcemap: false,
    logLevel: 'warning'
  })
  await cp(join(root, 'app/assets'), join(root, 'dist/app/assets'), { recursive: true })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildElectron()
}
