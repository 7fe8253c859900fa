/**
 * `npm run bench:files` (issue 15): a 1 GiB file end to end on loopback between two processes
 * (sealed, hashed, stored durably and verified on arrival), next to a bare libp2p stream and plain
 * TCP carrying the same bytes in the same run; then the same file fetched by a fourth member from
 * three holders at once. Reports MiB/s, the ratio to the raw libp2p stream, the share (seal, hash,
 * store) rate, and the receiver's RSS growth.
 *
 * BENCH_FILE_BYTES sets the size (default 1 GiB).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNetNode } from '../src/net/libp2p-node.js'
import { makeDataDir, meshConnect, removeDataDir, startAll, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { waitFor } from '../src/wait-for.js'
import { RAW_PULL_PROTOCOL } from './raw-pull-peer.js'
import { printTable, writeResults, type Row } from './stats.js'
import type { MessageId } from '../src/api/contract.js'

const SIZE = Number(process.env.BENCH_FILE_BYTES ?? 1024 ** 3)
const MiB = 1024 * 1024
const PEER = new URL('./raw-pull-peer.js', import.meta.url).pathname
const env = { ENCLAVE_FILE_AUTO_BYTES: '0', ENCLAVE_LOG: 'info' }

const rate = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000)
const mibs = (v: number): string => `${v.toFixed(0)} MiB/s`

async function startPeer(args: string[]): Promise<{ child: ChildProcess; info: { address?: string; tcp?: number } }> {
  const child = spawn(process.execPath, ['--enable-source-maps', PEER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve)
    child.once('exit', () => { reject(new Error('raw peer exited')) })
  })
  return { child, info: JSON.parse(line) as { address?: string; tcp?: number } }
}

const sizeFrame = (): Uint8Array => {
  const head = new Uint8Array(8)
  new DataView(head.buffer).setBigUint64(0, BigInt(SIZE))
  return head
}

/** Pulls SIZE bytes over a bare libp2p stream (same transports, Noise, Yamux as the core). */
async function rawLibp2p(): Promise<number> {
  const peer = await startPeer([])
  const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  try {
    const stream = await node.dialProtocol(multiaddr(peer.info.address ?? ''), RAW_PULL_PROTOCOL)
    const t0 = performance.now()
    stream.send(sizeFrame())
    let got = 0
    for await (const chunk of stream) got += chunk.byteLength
    if (got !== SIZE) throw new Error(`raw libp2p pull got ${got} of ${SIZE} bytes`)
    return performance.now() - t0
  } finally {
    await node.stop()
    peer.child.kill('SIGTERM')
  }
}

/** Pulls SIZE bytes over plain TCP on loopback. */
async function plainTcp(): Promise<number> {
  const peer = await startPeer(['--tcp'])
  try {
    return await new Promise<number>((resolve, reject) => {
      const socket = connect(peer.info.tcp ?? 0, '127.0.0.1', () => {
        const t0 = performance.now()
        let got = 0
        socket.on('data', (b) => { got += b.byteLength })
        socket.on('end', () => { if (got === SIZE) resolve(performance.now() - t0); else reject(new Error(`tcp got ${got}`)) })
        socket.write(sizeFrame())
      })
      socket.on('error', reject)
    })
  } finally {
    peer.child.kill('SIGTERM')
  }
}

async function rssOf(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8').catch(() => '')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  return kb === undefined ? 0 : Number(kb) * 1024
}

/** Asks `node` to fetch the file and waits until it is complete; the time, and its RSS growth meanwhile. */
async function fetchTimed(node: NodeProcess, messageId: MessageId): Promise<{ ms: number; rssGrowth: number }> {
  const rss0 = await rssOf(node.child.pid)
  let peak = rss0
  const sampler = setInterval(() => { void rssOf(node.child.pid).then((r) => { peak = Math.max(peak, r) }) }, 200)
  try {
    const t0 = performance.now()
    await node.api.call('files.download', { messageId })
    await waitFor('the file to be fetched', async () => (await node.api.call('files.get', { messageId })).state === 'complete', { timeoutMs: 600_000, intervalMs: 20 })
    return { ms: performance.now() - t0, rssGrowth: peak - rss0 }
  } finally {
    clearInterval(sampler)
  }
}

async function writeRandomFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  const fh = await open(path, 'w')
  try {
    for (let at = 0; at < SIZE; at += 64 * MiB) {
      const piece = randomBytes(Math.min(64 * MiB, SIZE - at))
      hash.update(piece)
      await fh.write(piece)
    }
  } finally {
    await fh.close()
  }
  return hash.digest('hex')
}

const rawMs = await rawLibp2p()
const tcpMs = await plainTcp()

const dirs = await Promise.all(['owner', 'bob', 'carol', 'dave'].map((n) => makeDataDir(`bench-files-${n}`)))
const work = await makeDataDir('bench-files-work')
const nodes = await startAll(dirs.map((d) => startNode(d, { env })))
const [owner, bob, carol, dave] = nodes
try {
  if (owner === undefined || bob === undefined || carol === undefined || dave === undefined) throw new Error('no nodes')
  const ws = await owner.api.call('workspaces.create', { name: 'Bench' })
  for (const n of [bob, carol, dave]) await n.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  await meshConnect(nodes)
  const channel = (await owner.api.call('channels.create', { workspaceId: ws.id, name: 'files', members: [bob.peerId, carol.peerId, dave.peerId] })).id
  for (const n of [bob, carol, dave]) await waitFor('the channel to reach every member', async () => (await n.api.call('conversations.list', {})).find((c) => c.id === channel)?.members.length === 4, { timeoutMs: 60_000 })

  const path = join(work, 'big.bin')
  const digest = await writeRandomFile(path)
  const s0 = performance.now()
  const sent = await owner.api.call('files.send', { conversationId: channel, path })
  const shareMs = performance.now() - s0
  for (const n of [bob, carol, dave]) await waitFor('the file message to arrive', async () => (await n.api.call('chat.history', { conversationId: channel, limit: 5 })).some((m) => m.id === sent.id), { timeoutMs: 60_000 })

  const single = await fetchTimed(bob, sent.id)
  const second = await fetchTimed(carol, sent.id)
  const three = await fetchTimed(dave, sent.id)
  const saved = join(work, 'saved.bin')
  await dave.api.call('files.save', { messageId: sent.id, path: saved })
  const savedDigest = createHash('sha256').update(await readFile(saved)).digest('hex')
  if (savedDigest !== digest) throw new Error('the saved file differs from the one shared')

  const enclave = rate(SIZE, single.ms)
  const raw = rate(SIZE, rawMs)
  const gib = (SIZE / 1024 ** 3).toFixed(SIZE >= 1024 ** 3 ? 0 : 2)
  const rows: Row[] = [
    { metric: `${gib} GiB, one holder → member (sealed, hashed, stored, verified)`, enclave: mibs(enclave), baseline: `${mibs(raw)} raw libp2p`, target: '≥ 0.75× and ≥ 150 MiB/s', met: enclave >= 0.75 * raw && enclave >= 150 ? 'yes' : 'no' },
    { metric: 'ratio to the raw libp2p stream', enclave: `${(enclave / raw).toFixed(2)}×`, baseline: `${mibs(rate(SIZE, tcpMs))} plain TCP`, target: '≥ 0.75×', met: enclave >= 0.75 * raw ? 'yes' : 'no' },
    { metric: 'same, a second member (two holders)', enclave: mibs(rate(SIZE, second.ms)), baseline: '', target: '', met: '' },
    { metric: 'three holders → a fourth member', enclave: mibs(rate(SIZE, three.ms)), baseline: `${mibs(enclave)} one holder`, target: '', met: '' },
    { metric: 'share: read, seal, hash, store durably', enclave: mibs(rate(SIZE, shareMs)), baseline: '', target: '', met: '' },
    { metric: 'receiver RSS growth during the fetch', enclave: `${(single.rssGrowth / MiB).toFixed(0)} MiB`, baseline: '', target: '≤ 100 MB', met: single.rssGrowth <= 100e6 ? 'yes' : 'no' }
  ]
  printTable(`Files: ${gib} GiB on loopback, Node's crypto (the Electron-like configuration is not measured yet)`, rows)
  await writeResults('files', { size: SIZE, rawMs, tcpMs, shareMs, single, second, three })
} finally {
  await Promise.all(nodes.map((n) => n.stop()))
  await Promise.all([...dirs, work].map(removeDataDir))
}
