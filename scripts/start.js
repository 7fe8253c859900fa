#!/usr/bin/env node
// `npm start`: installs and builds what is missing, then starts Enclave. Extra arguments after
// `--` go to `enclave node` (e.g. `npm start -- --no-mdns --listen /ip4/0.0.0.0/tcp/4001`).
import { spawn } from 'node:child_process'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { build, ensureDependencies } from './setup.js'

ensureDependencies()
build()

const root = new URL('..', import.meta.url).pathname
const args = process.argv.slice(2)
const dataDir = process.env.ENCLAVE_DATA ?? join(homedir(), '.enclave')
const child = spawn(process.execPath, [join(root, 'bin', 'enclave.js'), 'node', '--data', dataDir, ...args], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { child.kill(signal) })
child.on('exit', (code, signal) => { process.exit(code ?? (signal === null ? 0 : 1)) })
