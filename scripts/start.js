#!/usr/bin/env node
// `npm start`: installs and builds what is missing, then starts the Enclave desktop app.
// Where Electron's binary is absent it says so and starts the browser shell instead: the same
// app served by a local node, opened in Chromium's app mode when there is a display.
// Arguments after `--` go to the node (e.g. `npm start -- --no-mdns`).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { build, CHROMIUM, ensureDependencies } from './setup.js'

const root = new URL('..', import.meta.url).pathname
ensureDependencies()
await build()

function electronBinary() {
  try {
    const path = createRequire(import.meta.url)('electron')
    return typeof path === 'string' && existsSync(path) ? path : null
  } catch {
    return null
  }
}

function forward(child) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { child.kill(signal) })
  child.on('exit', (code, signal) => { process.exit(code ?? (signal === null ? 0 : 1)) })
}

const electron = electronBinary()
if (electron !== null) {
  forward(spawn(electron, [root, ...process.argv.slice(2)], { stdio: 'inherit' }))
} else {
  process.stdout.write('Electron is not installed here (its binary could not be downloaded); starting the browser shell instead.\n')
  const dataDir = process.env.ENCLAVE_DATA ?? join(homedir(), '.enclave')
  // The core's malloc thresholds (src/api/core-process-env.ts): read by glibc only at start.
  const { coreProcessEnv } = await import(new URL('../dist/src/api/core-process-env.js', import.meta.url).href)
  const node = spawn(process.execPath, [join(root, 'bin', 'enclave.js'), 'serve', '--data', dataDir, ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'], env: coreProcessEnv(process.env) })
  forward(node)
  createInterface({ input: node.stdout }).on('line', (line) => {
    process.stdout.write(line + '\n')
    const url = /^Open Enclave: (\S+)/.exec(line)?.[1]
    if (url === undefined || !process.env.DISPLAY || !existsSync(CHROMIUM)) return
    const profile = join(dataDir, 'browser-profile')
    mkdirSync(profile, { recursive: true })
    spawn(CHROMIUM, [`--app=${url}`, `--user-data-dir=${profile}`, '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], { stdio: 'ignore', detached: true }).unref()
  })
}
