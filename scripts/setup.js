#!/usr/bin/env node
// Makes a fresh clone runnable: installs the locked dependencies when node_modules is missing
// or older than package-lock.json. Only Node built-ins here: nothing else exists yet.
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const lock = join(root, 'package-lock.json')
const installed = join(root, 'node_modules', '.package-lock.json')

export function ensureDependencies() {
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return
  process.stderr.write('enclave: installing dependencies (npm ci)…\n')
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    // Electron's binary cannot be downloaded on every machine; shells that need it say so.
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }
  })
  if (result.status !== 0) {
    process.stderr.write('enclave: npm ci failed\n')
    process.exit(result.status ?? 1)
  }
}

export function build() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureDependencies()
  if (process.argv.includes('--build')) build()
}
