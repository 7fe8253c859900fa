import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { enclave } from './helpers/cli.js'
import { makeDataDir, removeDataDir, repoRoot, startNode, type NodeProcess } from './helpers/node-process.js'
import { waitFor } from './helpers/wait.js'
import { CORE_MALLOC_ENV } from '../src/api/core-process-env.js'


let node: NodeProcess
let emptyDir: string
let stranger: string

before(async () => {
  node = await startNode(await makeDataDir('cli'))
  emptyDir = await makeDataDir('empty')
  stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
})

after(async () => {
  await node.stop()
  await Promise.all([removeDataDir(node.dataDir), removeDataDir(emptyDir)])
})

test('--help exits 0 everywhere; usage mistakes exit 2 with the usage', async () => {
  for (const args of [['--help'], ['node', '--help'], ['send', '--help'], ['history', '-h']]) {
    const r = await enclave(...args)
    assert.equal(r.code, 0, args.join(' '))
    assert.match(r.stdout, /Usage: enclave/)
  }
  for (const args of [['frobnicate'], ['send'], ['send', stranger], ['id', '--bogus-flag'], ['history', stranger, '--limit', 'many']]) {
    const r = await enclave(...args, '--data', node.dataDir)
    assert.equal(r.code, 2, args.join(' '))
    assert.match(r.stderr, /^enclave: .+\n/)
  }
})

test('with no node running, commands fail with one clear line and exit 1', async () => {
  const r = await enclave('id', '--data', emptyDir)
  assert.equal(r.code, 1)
  assert.equal(r.stderr.trim().split('\n').length, 1)
  assert.match(r.stderr, /no node is running.*\(node-not-running\)/)
})

test('the node writes its API endpoint and token readable by its owner only', async () => {
  const mode = (await stat(join(node.dataDir, 'api.json'))).mode & 0o777
  assert.equal(mode, 0o600)
})

test('id --json, send and history --json work for scripts', async () => {
  const id = JSON.parse((await enclave('id', '--json', '--data', node.dataDir)).stdout) as { peerId: string; addresses: string[] }
  assert.equal(id.peerId, node.peerId)
  assert.ok(id.addresses.some((a) => a.endsWith(`/p2p/${node.peerId}`)))

  const sent = await enclave('send', stranger, 'hello', 'there', '--data', node.dataDir)
  assert.equal(sent.code, 0)
  assert.match(sent.stdout, /pending/)
  const history = JSON.parse((await enclave('history', stranger, '--json', '--data', node.dataDir)).stdout) as Array<{ text: string; mine: boolean }>
  assert.deepEqual(history.map((m) => [m.text, m.mine]), [['hello there', true]])

  const search = JSON.parse((await enclave('search', 'HELLO', '--in', stranger, '--json', '--data', node.dataDir)).stdout) as { hits: Array<{ message: { text: string }; highlights: Array<[number, number]> }> }
  assert.deepEqual(search.hits.map((h) => [h.message.text, h.highlights]), [['hello there', [[0, 5]]]])
  assert.match((await enclave('search', 'nowhere', '--data', node.dataDir)).stdout, /no messages or docs found/)
  assert.equal((await enclave('search', 'x', '--after', 'yesterday', '--data', node.dataDir)).code, 2)
})

test('call prints JSON results and coded errors for unknown methods and bad params', async () => {
  const peers = await enclave('call', 'peers.list', '{}', '--data', node.dataDir)
  assert.equal(peers.code, 0)
  assert.ok(Array.isArray(JSON.parse(peers.stdout)))
  const unknown = await enclave('call', 'chat.nope', '--data', node.dataDir)
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /\(unknown-method\)/)
  const bad = await enclave('call', 'chat.send', '{"peerId":"x"}', '--data', node.dataDir)
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /\(bad-request\)/)
  const badPeer = await enclave('call', 'chat.send', '{"peerId":"not-a-peer","text":"x"}', '--data', node.dataDir)
  assert.match(badPeer.stderr, /not a peer id.*\(bad-request\)/)
  const notJson = await enclave('call', 'peers.list', '{oops', '--data', node.dataDir)
  assert.equal(notJson.code, 2)
})

test('`enclave node` run as a command starts its core with glibc\'s malloc thresholds set (they are read only at start)', async () => {
  const dir = await makeDataDir('malloc-env')
  // Run as a user runs it: the file itself, so its shebang applies; whatever the caller's environment lacks.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')))
  const child = spawn(join(repoRoot(), 'bin', 'enclave.js'), ['node', '--data', dir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'], { env, stdio: 'ignore' })
  try {
    // `env` replaces itself with node: the same process, once its command line says so.
    const environ = await waitFor('the node process to start', async () => {
      const cmdline = await readFile(`/proc/${child.pid ?? 0}/cmdline`, 'utf8').catch(() => '')
      return cmdline.includes('enclave.js') && !cmdline.startsWith('/usr/bin/env') ? readFile(`/proc/${child.pid ?? 0}/environ`, 'utf8') : undefined
    }, { timeoutMs: 10_000, intervalMs: 20 })
    const vars = environ.split('\0').filter((v) => v.startsWith('MALLOC_')).sort()
    assert.deepEqual(vars, Object.entries(CORE_MALLOC_ENV).map(([k, v]) => `${k}=${v}`).sort())
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => { if (child.exitCode !== null) resolve(null); else child.once('exit', resolve) })
    await removeDataDir(dir)
  }
})
