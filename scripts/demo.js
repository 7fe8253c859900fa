#!/usr/bin/env node
// `npm run demo`: Alice, Bob and Carol on this machine, already colleagues in one workspace
// (Acme: two departments, posts in #general, a board), so one person can try Enclave alone.
// Each has its own data dir (kept in ~/.enclave-demo between runs; a re-run reuses them and
// makes nothing twice) and ports; they dial each other on 127.0.0.1 without mDNS. Only the
// three browser links are printed.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { startPeers, stopPeers } from './demo-peers.js'
import { build, ensureDependencies } from './setup.js'

ensureDependencies()
await build()
const base = process.env.ENCLAVE_DEMO_DATA ?? join(homedir(), '.enclave-demo')
const peers = await startPeers(['Alice', 'Bob', 'Carol'], (name) => join(base, name.toLowerCase()))
const stop = () => { void stopPeers(peers).then(() => process.exit(0)) }
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
process.stdout.write('\nSetting up the demo workspace…\n')
const { setUpDemoWorkspace } = await import('../dist/src/cli/demo-workspace.js')
try {
  const { workspace } = await setUpDemoWorkspace(peers)
  process.stdout.write(`\nEnclave demo: Alice, Bob and Carol are colleagues in the workspace “${workspace.name}”.\nOpen each link in its own browser window:\n\n`)
} catch (err) {
  process.stderr.write(`\nThe demo workspace could not be set up (${err instanceof Error ? err.message : String(err)}); the three peers still run.\n\n`)
}
for (const p of peers) process.stdout.write(`  ${p.name.padEnd(6)} ${p.url}\n`)
process.stdout.write('\nPress Ctrl+C to stop them.\n')
