/**
 * `npm run bench:files` (issue 15): a 1 GiB file end to end on loopback between two processes
 * (sealed, hashed, stored durably and verified on arrival), next to a bare libp2p stream between
 * two processes in the same configuration and plain TCP, all in the same run; then the same file
 * fetched by a third member from two holders and by a fourth from three. Each configuration of
 * the processes is measured in turn: Node as a core is launched (glibc's malloc variables set,
 * src/api/core-process-env.ts); the same without them; the desktop app's (Noise on libsodium, as
 * under Electron, whose BoringSSL lacks ChaCha20); and Electron's fallback without it (Noise on
 * wasm). Reports MiB/s, the ratio to the raw libp2p stream, CPU time per GiB on each side, the
 * share (seal, hash, store) rate, and the receiver's RSS growth.
 *
 * BENCH_FILE_BYTES sets the size (default 1 GiB); BENCH_FILE_CONFIGS picks configurations by
 * number (`1,3`; default all). BENCH_PROFILE=DIR writes each node's CPU profile there.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { makeDataDir, meshConnect, removeDataDir, startAll, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { waitFor } from '../src/wait-for.js'
import { printTable, writeResults, type Row } from './stats.js'
import { CORE_MALLOC_ENV } from '../src/api/core-process-env.js'
import type { MessageId } from '../src/api/contract.js'

const SIZE = Number(process.env.BENCH_FILE_BYTES ?? 1024 ** 3)
const MiB = 1024 * 1024
const PEER = new URL('./raw-pull-peer.js', import.meta.url).pathname
const env = { ENCLAVE_FILE_AUTO_BYTES: '0', ENCLAVE_LOG: 'info' }

interface Config { label: string; env: Record<string, string> }
const CONFIGS: Config[] = [
  { label: 'Node, as launched (malloc variables)', env: CORE_MALLOC_ENV },
  { label: 'Node without the malloc variables', env: {} },
  { label: 'desktop app: Noise on libsodium', env: { ENCLAVE_NOISE_CRYPTO: 'sodium', ...CORE_MALLOC_ENV } },
  { label: 'Electron fallback: Noise on wasm', env: { ENCLAVE_NOISE_CRYPTO: 'wasm', ...CORE_MALLOC_ENV } }
]
const picked = (process.env.BENCH_FILE_CONFIGS ?? '').split(',').filter((n) => n !== '').map(Number)
const configs = picked.length === 0 ? CONFIGS : CONFIGS.filter((_, i) => picked.includes(i + 1))

const rate = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000)
const mibs = (v: number): string => `${v.toFixed(0)} MiB/s`

async function startPeer(args: string[], extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; info: { address?: string; tcp?: number; ms?: number } }> {
  const child = spawn(process.execPath, ['--enable-source-maps', PEER, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...extraEnv } })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve)
    child.once('exit', () => { reject(new Error('raw peer exited')) })
  })
  return { child, info: JSON.parse(line) as { address?: string; tcp?: number; ms?: number } }
}

const sizeFrame = (): Uint8Array => {
  const head = new Uint8Array(8)
  new DataView(head.buffer).setBigUint64(0, BigInt(SIZE))
  return head
}

/** Pulls SIZE bytes over a bare libp2p stream (the core's transports, Noise, Yamux), both ends in processes of this configuration. */
async function rawLibp2p(config: Config): Promise<number> {
  const holder = await startPeer([], config.env)
  try {
    const puller = await startPeer(['--pull', holder.info.address ?? '', String(SIZE)], config.env)
    return puller.info.ms ?? Number.NaN
  } finally {
    holder.child.kill('SIGTERM')
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

/** CPU time a process has used so far (user and system, all its threads), in ms. */
async function cpuMsOf(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid ?? 0}/stat`, 'utf8').catch(() => '')
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in ticks of 10 ms.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10
}

interface Fetched { ms: number; rssGrowth: number; cpuMs: number; holderCpuMs: number }

/** Asks `node` to fetch the file from `holders` and waits until it is complete; the time, RSS growth and CPU time of each side meanwhile. */
async function fetchTimed(node: NodeProcess, messageId: MessageId, holders: NodeProcess[]): Promise<Fetched> {
  // Dirty pages of what was just written (the source file, the share) would be flushed during the
  // fetch, charging its fsyncs with them: the first configuration measured ran at half speed.
  execFileSync('sync')
  const cpu0 = await cpuMsOf(node.child.pid)
  const holderCpu0 = await Promise.all(holders.map((h) => cpuMsOf(h.child.pid)))
  const rss0 = await rssOf(node.child.pid)
  let peak = rss0
  const sampler = setInterval(() => { void rssOf(node.child.pid).then((r) => { peak = Math.max(peak, r) }) }, 200)
  try {
    const t0 = performance.now()
    await node.api.call('files.download', { messageId })
    await waitFor('the file to be fetched', async () => (await node.api.call('files.get', { messageId })).state === 'complete', { timeoutMs: 600_000, intervalMs: 20 })
    const ms = performance.now() - t0
    const holderCpu = await Promise.all(holders.map((h) => cpuMsOf(h.child.pid)))
    return { ms, rssGrowth: peak - rss0, cpuMs: await cpuMsOf(node.child.pid) - cpu0, holderCpuMs: holderCpu.reduce((a, c, i) => a + c - (holderCpu0[i] ?? 0), 0) }
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

interface Measured { config: string; rawMs: number; single: Fetched; shareMs?: number; second?: Fetched; three?: Fetched }

/**
 * One configuration: an owner shares the file in a channel; bob fetches it from the owner alone.
 * With `more`, carol then fetches from two holders and dave from three, and dave's copy is
 * checked byte for byte.
 */
async function measure(config: Config, path: string, digest: string, more: boolean): Promise<Measured> {
  const rawMs = await rawLibp2p(config)
  const names = more ? ['owner', 'bob', 'carol', 'dave'] : ['owner', 'bob']
  const dirs = await Promise.all(names.map((n) => makeDataDir(`bench-files-${n}`)))
  const nodeArgs = process.env.BENCH_PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
  const nodes = await startAll(dirs.map((d) => startNode(d, { env: { ...env, ...config.env }, nodeArgs })))
  try {
    const [owner, ...others] = nodes
    if (owner === undefined) throw new Error('no nodes')
    const ws = await owner.api.call('workspaces.create', { name: 'Bench' })
    for (const n of others) await n.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
    await meshConnect(nodes)
    const channel = (await owner.api.call('channels.create', { workspaceId: ws.id, name: 'files', members: others.map((n) => n.peerId) })).id
    for (const n of others) await waitFor('the channel to reach every member', async () => (await n.api.call('conversations.list', {})).find((c) => c.id === channel)?.members.length === nodes.length, { timeoutMs: 60_000 })

    const s0 = performance.now()
    const sent = await owner.api.call('files.send', { conversationId: channel, path })
    const shareMs = performance.now() - s0
    for (const n of others) await waitFor('the file message to arrive', async () => (await n.api.call('chat.history', { conversationId: channel, limit: 5 })).some((m) => m.id === sent.id), { timeoutMs: 60_000 })
    const [bob, carol, dave] = others
    if (bob === undefined) throw new Error('no receiver')
    const single = await fetchTimed(bob, sent.id, [owner])
    const last = dave ?? bob
    const measured: Measured = { config: config.label, rawMs, single, shareMs }
    if (more && carol !== undefined && dave !== undefined) {
      measured.second = await fetchTimed(carol, sent.id, [owner, bob])
      measured.three = await fetchTimed(dave, sent.id, [owner, bob, carol])
    }
    const saved = join(last.dataDir, 'saved.bin')
    await last.api.call('files.save', { messageId: sent.id, path: saved })
    const savedDigest = createHash('sha256').update(await readFile(saved)).digest('hex')
    if (savedDigest !== digest) throw new Error('the saved file differs from the one shared')
    return measured
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all(dirs.map(removeDataDir))
  }
}

const work = await makeDataDir('bench-files-work')
try {
  const path = join(work, 'big.bin')
  const digest = await writeRandomFile(path)
  const tcpMs = await plainTcp()
  const results: Measured[] = []
  for (const [i, config] of configs.entries()) results.push(await measure(config, path, digest, i === 0))

  const gib = (SIZE / 1024 ** 3).toFixed(SIZE >= 1024 ** 3 ? 0 : 2)
  const rows: Row[] = []
  for (const r of results) {
    const enclave = rate(SIZE, r.single.ms)
    const raw = rate(SIZE, r.rawMs)
    // The floors: 150 MiB/s for Node's crypto, 120 for the desktop app's (Electron's).
    const floor = r.config.startsWith('desktop') || r.config.startsWith('Electron') ? 120 : 150
    rows.push({ metric: `${r.config}: one holder → member`, enclave: mibs(enclave), baseline: `${mibs(raw)} raw libp2p`, target: `≥ ${floor} MiB/s`, met: enclave >= floor ? 'yes' : 'no' })
    rows.push({ metric: '  ratio to the raw libp2p stream', enclave: `${(enclave / raw).toFixed(2)}×`, baseline: '', target: '≥ 0.75×', met: enclave >= 0.75 * raw ? 'yes' : 'no' })
    const perGiB = (ms: number): string => `${(ms / (SIZE / 1024 ** 3) / 1000).toFixed(1)} s`
    rows.push({ metric: '  CPU per GiB: receiver / holder', enclave: `${perGiB(r.single.cpuMs)} / ${perGiB(r.single.holderCpuMs)}`, baseline: '', target: '', met: '' })
    rows.push({ metric: '  receiver RSS growth during the fetch', enclave: `${(r.single.rssGrowth / MiB).toFixed(0)} MiB`, baseline: '', target: '≤ 100 MB', met: r.single.rssGrowth <= 100e6 ? 'yes' : 'no' })
    if (r.shareMs !== undefined) rows.push({ metric: '  share: read, seal, hash, store durably', enclave: mibs(rate(SIZE, r.shareMs)), baseline: '', target: '', met: '' })
    if (r.second !== undefined) rows.push({ metric: '  a third member (two holders)', enclave: mibs(rate(SIZE, r.second.ms)), baseline: '', target: '', met: '' })
    if (r.three !== undefined) rows.push({ metric: '  a fourth member (three holders)', enclave: mibs(rate(SIZE, r.three.ms)), baseline: `${mibs(enclave)} one holder`, target: '', met: '' })
  }
  rows.push({ metric: 'plain TCP, same bytes', enclave: mibs(rate(SIZE, tcpMs)), baseline: '', target: '', met: '' })
  printTable(`Files: ${gib} GiB on loopback, two processes each`, rows)
  await writeResults('files', { size: SIZE, tcpMs, results })
} finally {
  await removeDataDir(work)
}
