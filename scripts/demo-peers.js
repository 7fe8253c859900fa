// Starts named local peers for `npm run demo` and `npm run screenshots`: each its own data dir
// and ports, `enclave serve` without mDNS on 127.0.0.1, dialling the ones started before it.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const root = new URL('..', import.meta.url).pathname

async function startPeer(name, dataDir, peers) {
  const args = [join(root, 'bin', 'enclave.js'), 'serve', '--data', dataDir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0']
  for (const p of peers) args.push('--peer', p)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ENCLAVE_LOG: process.env.ENCLAVE_LOG ?? 'error' } })
  const lines = createInterface({ input: child.stdout })
  let address
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => { reject(new Error(`${name}'s node exited (${code})`)) })
    lines.on('line', (line) => {
      address ??= /^\s+(\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/.exec(line)?.[1]
      const link = /^Open Enclave: (\S+)/.exec(line)?.[1]
      if (link !== undefined) resolve(link)
    })
  })
  const { connectApi } = await import(join(root, 'dist/src/api/ws-client.js'))
  const api = await connectApi(JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')))
  const profile = await api.call('profile.get', {})
  if (profile.displayName === null && name !== null) await api.call('profile.set', { displayName: name })
  return { name, url, address, api, child, peerId: profile.peerId }
}

/** Starts the peers in order; each dials all the ones before it. A null name skips naming (first run). */
export async function startPeers(names, dirFor) {
  const started = []
  for (const name of names) started.push(await startPeer(name, dirFor(name), started.map((p) => p.address)))
  return started
}

export function stopPeers(peers) {
  return Promise.all(peers.map((p) => new Promise((resolve) => {
    p.api.close()
    if (p.child.exitCode !== null) { resolve(); return }
    p.child.once('exit', resolve)
    p.child.kill('SIGTERM')
  })))
}
