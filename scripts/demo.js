#!/usr/bin/env node
// `npm run demo`: three local peers — Alice, Bob and Carol — so one person can try Enclave
// alone. Each has its own data dir (kept in ~/.enclave-demo between runs) and ports, and they
// dial each other on 127.0.0.1 without mDNS. Open the three links in three browser windows.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { startPeers, stopPeers } from './demo-peers.js'
import { build, ensureDependencies } from './setup.js'

ensureDependencies()
await build()
const base = process.env.ENCLAVE_DEMO_DATA ?? join(homedir(), '.enclave-demo')
const peers = await startPeers(['Alice', 'Bob', 'Carol'], (name) => join(base, name.toLowerCase()))
process.stdout.write(`\nEnclave demo: three peers on this machine (data in ${base}).\nOpen each link in its own browser window:\n\n`)
for (const p of peers) process.stdout.write(`  ${p.name.padEnd(6)} ${p.url}\n`)
process.stdout.write('\nPress Ctrl+C to stop them.\n')
const stop = () => { void stopPeers(peers).then(() => process.exit(0)) }
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
