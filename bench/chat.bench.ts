/**
 * `npm run bench:chat`: 1:1 latency and sustained throughput between two Enclave nodes in
 * separate processes on loopback (durable LevelDB storage on both sides), next to raw libp2p
 * measured in the same run over the same hops: the bench talks to each side over a loopback
 * WebSocket, as it talks to each node over its API. One-way is compared with one-way
 * (send → arrival at the other side), round trip with round trip (send → ack back).
 * Also the first message of a new DM between two fresh devices (key package fetch, welcome).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { RAW_ECHO, RAW_FRAME_BYTES, RAW_ONE_WAY } from './raw-peer.js'
import { eventWaiter, printTable, summarize, writeResults, type Summary } from './stats.js'
import type { MessageView } from '../src/api/contract.js'

const WARMUP = 100
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000)
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_THROUGHPUT_MESSAGES ?? 10_000)
const FIRST_DM_PAIRS = Number(process.env.BENCH_FIRST_DM_PAIRS ?? 5)
const WINDOW = 256
const TEXT = 'x'.repeat(100)

const now = (): number => performance.now()

interface RawPeer { child: ChildProcess; address: string; ws: WebSocket; onFrame?: (seq: number) => void }

/** Starts one raw peer process and connects to its WebSocket. */
async function startRawPeer(): Promise<RawPeer> {
  const child = spawn(process.execPath, ['--enable-source-maps', new URL('./raw-peer.js', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve))
  const { address, ws: url } = JSON.parse(line) as { address: string; ws: string }
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  const peer: RawPeer = { child, address, ws }
  ws.on('message', (data, isBinary) => { if (isBinary) peer.onFrame?.((data as Buffer).readUInt32BE(1)) })
  return peer
}

function rawFrame(kind: number, seq: number): Buffer {
  const frame = Buffer.alloc(RAW_FRAME_BYTES, 0x78)
  frame[0] = kind
  frame.writeUInt32BE(seq, 1)
  return frame
}

async function rawBaseline(): Promise<{ oneWay: Summary; rtt: Summary; msgsPerSec: number }> {
  const [a, b] = await Promise.all([startRawPeer(), startRawPeer()])
  try {
    a.ws.send(`dial ${b.address}`)
    await new Promise<void>((resolve) => a.ws.once('message', () => { resolve() }))
    const arrivedAtB = new Set<number>()
    const echoedToA = new Set<number>()
    const { wake, until } = eventWaiter()
    b.onFrame = (seq) => { arrivedAtB.add(seq); wake() }
    a.onFrame = (seq) => { echoedToA.add(seq); wake() }

    const oneWay: number[] = []
    const rtt: number[] = []
    let seq = 0
    for (let i = 0; i < WARMUP + LATENCY_SAMPLES; i++) {
      const s1 = seq++
      const t1 = now()
      a.ws.send(rawFrame(RAW_ONE_WAY, s1))
      await until(() => arrivedAtB.has(s1))
      const oneWayMs = now() - t1
      const s2 = seq++
      const t2 = now()
      a.ws.send(rawFrame(RAW_ECHO, s2))
      await until(() => echoedToA.has(s2))
      if (i >= WARMUP) { oneWay.push(oneWayMs); rtt.push(now() - t2) }
    }

    // Throughput: the same number of messages as Enclave's run, at most WINDOW not yet arrived.
    let arrived = 0
    b.onFrame = () => { arrived++; wake() }
    const t0 = now()
    for (let sent = 0; sent < THROUGHPUT_MESSAGES; sent++) {
      if (sent - arrived >= WINDOW) await until(() => sent - arrived < WINDOW)
      a.ws.send(rawFrame(RAW_ONE_WAY, seq++))
    }
    await until(() => arrived >= THROUGHPUT_MESSAGES)
    return { oneWay: summarize(oneWay), rtt: summarize(rtt), msgsPerSec: THROUGHPUT_MESSAGES / ((now() - t0) / 1000) }
  } finally {
    for (const p of [a, b]) { p.ws.close(); p.child.kill('SIGTERM') }
  }
}

/** Twenty emoji: the most one member may have on one message. */
const EMOJI = ['👍', '❤️', '😂', '🎉', '✅', '👀', '🙏', '👏', '🔥', '💯', '😮', '😢', '🤔', '🙌', '👌', '🚀', '⭐', '❗', '❓', '👎']

/**
 * Reactions and edits: the time from a reaction on one device to the other's event, and opening
 * (the newest 50 of history) a conversation whose 50 messages carry 20 reactions and 3 edits
 * each, against the same 50 messages read before they had any.
 */
async function actionsRun(alice: NodeProcess, bob: NodeProcess, target: MessageView): Promise<{ reaction: Summary; open: Summary; openPlain: Summary }> {
  const seen = new Map<string, number>()
  const { wake, until } = eventWaiter()
  bob.api.on('chat.reactionsChanged', (e) => { seen.set(`${e.messageId} ${e.reactions.length}`, now()); wake() })
  const reaction: number[] = []
  for (let i = 0; i < WARMUP + LATENCY_SAMPLES; i++) {
    const on = i % 2 === 0
    const t0 = now()
    await alice.api.call('chat.react', { messageId: target.id, emoji: '👍', on })
    const key = `${target.id} ${on ? 1 : 0}`
    await until(() => (seen.get(key) ?? 0) >= t0)
    if (i >= WARMUP) reaction.push((seen.get(key) ?? t0) - t0)
  }
  const timeOpen = async (): Promise<Summary> => {
    const times: number[] = []
    for (let i = 0; i < 30; i++) {
      const t0 = now()
      await bob.api.call('chat.history', { peerId: alice.peerId, limit: 50 })
      times.push(now() - t0)
    }
    return summarize(times.slice(5))
  }
  const page = await bob.api.call('chat.history', { peerId: alice.peerId, limit: 50 })
  const openPlain = await timeOpen()
  let last = ''
  for (const m of page) {
    for (const emoji of EMOJI) await bob.api.call('chat.react', { messageId: m.id, emoji, on: true })
    if (m.author === alice.peerId) for (let e = 0; e < 3; e++) last = (await alice.api.call('chat.edit', { messageId: m.id, text: `${TEXT} v${e}` })).id
  }
  const settled = async (): Promise<boolean> => (await alice.api.call('chat.history', { peerId: bob.peerId, limit: 50 })).every((m) => m.reactions?.[0]?.by.length === 1) &&
    (await bob.api.call('chat.history', { peerId: alice.peerId, limit: 50 })).find((m) => m.id === last)?.text.endsWith('v2') === true
  for (let i = 0; i < 600 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 50))
  return { reaction: summarize(reaction), open: await timeOpen(), openPlain }
}

async function enclaveRun(): Promise<{ oneWay: Summary; delivered: Summary; msgsPerSec: number; deliveredPerSec: number; actions: { reaction: Summary; open: Summary; openPlain: Summary } }> {
  const alice = await startNode(await makeDataDir('bench-alice'))
  const bob: NodeProcess = await startNode(await makeDataDir('bench-bob'), { peers: [alice.address] })
  try {
    const arrived = new Map<string, number>()
    const deliveredAt = new Map<string, number>()
    let arrivedCount = 0
    let deliveredCount = 0
    const { wake, until } = eventWaiter()
    bob.api.on('chat.messageAdded', (m: MessageView) => { arrived.set(m.id, now()); arrivedCount++; wake() })
    alice.api.on('chat.messageUpdated', (m: MessageView) => {
      if (m.state === 'delivered') { deliveredAt.set(m.id, now()); deliveredCount++; wake() }
    })

    const oneWay: number[] = []
    const delivered: number[] = []
    for (let i = 0; i < WARMUP + LATENCY_SAMPLES; i++) {
      const t0 = now()
      const sent = await alice.api.call('chat.send', { peerId: bob.peerId, text: TEXT })
      await until(() => arrived.has(sent.id) && deliveredAt.has(sent.id))
      if (i >= WARMUP) {
        oneWay.push((arrived.get(sent.id) ?? t0) - t0)
        delivered.push((deliveredAt.get(sent.id) ?? t0) - t0)
      }
    }

    const startArrived = arrivedCount
    const startDelivered = deliveredCount
    const t0 = now()
    let inFlight = 0
    let issued = 0
    await new Promise<void>((resolve, reject) => {
      const pump = (): void => {
        while (issued < THROUGHPUT_MESSAGES && inFlight < WINDOW) {
          issued++
          inFlight++
          alice.api.call('chat.send', { peerId: bob.peerId, text: TEXT }).then(() => { inFlight--; if (issued === THROUGHPUT_MESSAGES && inFlight === 0) resolve(); else pump() }, reject)
        }
      }
      pump()
    })
    await until(() => arrivedCount - startArrived >= THROUGHPUT_MESSAGES)
    const receivedSec = (now() - t0) / 1000
    await until(() => deliveredCount - startDelivered >= THROUGHPUT_MESSAGES)
    const deliveredSec = (now() - t0) / 1000
    const [target] = await alice.api.call('chat.history', { peerId: bob.peerId, limit: 1 })
    if (target === undefined) throw new Error('no message to react to')
    const actions = await actionsRun(alice, bob, target)
    return {
      actions,
      oneWay: summarize(oneWay),
      delivered: summarize(delivered),
      msgsPerSec: THROUGHPUT_MESSAGES / receivedSec,
      deliveredPerSec: THROUGHPUT_MESSAGES / deliveredSec
    }
  } finally {
    await Promise.all([alice.stop(), bob.stop()])
    await Promise.all([removeDataDir(alice.dataDir), removeDataDir(bob.dataDir)])
  }
}

/**
 * The first message of a new DM: two devices started fresh, connected, that have never talked.
 * Sending it fetches the recipient's key package, makes the group and sends the welcome. The
 * second message between the same pair is timed too: the same cold processes, no group setup.
 */
async function firstDm(): Promise<{ first: number; second: number }> {
  const a = await startNode(await makeDataDir('bench-first-a'))
  const b = await startNode(await makeDataDir('bench-first-b'), { peers: [a.address] })
  try {
    for (let i = 0; !(await a.api.call('peers.list', {})).some((p) => p.peerId === b.peerId && p.connected); i++) {
      if (i > 400) throw new Error('the fresh pair did not connect')
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    const arrived = new Map<string, number>()
    const { wake, until } = eventWaiter()
    b.api.on('chat.messageAdded', (m: MessageView) => { arrived.set(m.id, now()); wake() })
    const time = async (): Promise<number> => {
      const t0 = now()
      const sent = await a.api.call('chat.send', { peerId: b.peerId, text: TEXT })
      await until(() => arrived.has(sent.id))
      return (arrived.get(sent.id) ?? t0) - t0
    }
    const first = await time()
    return { first, second: await time() }
  } finally {
    await Promise.all([a.stop(), b.stop()])
    await Promise.all([removeDataDir(a.dataDir), removeDataDir(b.dataDir)])
  }
}

const raw = await rawBaseline()
const enclave = await enclaveRun()
const pairs: Array<{ first: number; second: number }> = []
for (let i = 0; i < FIRST_DM_PAIRS; i++) pairs.push(await firstDm())
const first = summarize(pairs.map((p) => p.first))
const second = summarize(pairs.map((p) => p.second))

const f = (n: number): string => `${n.toFixed(2)} ms`
const rate = (n: number): string => `${Math.round(n).toLocaleString('en-US')} msg/s`
const rows = [
  { metric: 'one-way p50, send → recipient stored', enclave: f(enclave.oneWay.p50), baseline: `${f(raw.oneWay.p50)} (raw one-way)`, target: '≤ 3 ms', met: enclave.oneWay.p50 <= 3 ? 'yes' : 'no' },
  { metric: 'one-way p99, send → recipient stored', enclave: f(enclave.oneWay.p99), baseline: `${f(raw.oneWay.p99)} (raw one-way)`, target: '≤ 10 ms', met: enclave.oneWay.p99 <= 10 ? 'yes' : 'no' },
  { metric: 'round trip p50, send → delivered ack', enclave: f(enclave.delivered.p50), baseline: `${f(raw.rtt.p50)} (raw echo)`, target: '—', met: '—' },
  { metric: 'round trip p99, send → delivered ack', enclave: f(enclave.delivered.p99), baseline: `${f(raw.rtt.p99)} (raw echo)`, target: '—', met: '—' },
  { metric: `first DM message, fresh pair p50 (${first.n} pairs)`, enclave: f(first.p50), baseline: `${f(second.p50)} (2nd message, same pair)`, target: '—', met: '—' },
  { metric: 'first DM message, fresh pair max', enclave: f(first.max), baseline: `${f(second.max)} (2nd message, same pair)`, target: '—', met: '—' },
  { metric: 'throughput, stored at recipient', enclave: rate(enclave.msgsPerSec), baseline: `${rate(raw.msgsPerSec)} (raw one-way)`, target: '≥ 1,000 msg/s', met: enclave.msgsPerSec >= 1000 ? 'yes' : 'no' },
  { metric: 'reaction p50, react → other device\'s event', enclave: f(enclave.actions.reaction.p50), baseline: `${f(enclave.oneWay.p50)} (a message, one-way)`, target: '—', met: '—' },
  { metric: 'reaction p99, react → other device\'s event', enclave: f(enclave.actions.reaction.p99), baseline: `${f(enclave.oneWay.p99)} (a message, one-way)`, target: '≤ 50 ms', met: enclave.actions.reaction.p99 <= 50 ? 'yes' : 'no' },
  { metric: 'open: newest 50, each 20 reactions + 3 edits, p50', enclave: f(enclave.actions.open.p50), baseline: `${f(enclave.actions.openPlain.p50)} (same 50, no reactions)`, target: '—', met: '—' },
  { metric: 'open: newest 50, each 20 reactions + 3 edits, p99', enclave: f(enclave.actions.open.p99), baseline: `${f(enclave.actions.openPlain.p99)} (same 50, no reactions)`, target: '≤ 50 ms', met: enclave.actions.open.p99 <= 50 ? 'yes' : 'no' },
  { metric: 'throughput, acknowledged to sender', enclave: rate(enclave.deliveredPerSec), baseline: `${rate(raw.msgsPerSec)} (raw one-way)`, target: '—', met: '—' }
]
printTable(`Chat benchmark: ${LATENCY_SAMPLES} latency samples, ${THROUGHPUT_MESSAGES} messages of 100 B for throughput, ${WINDOW} in flight; raw = bench → WebSocket → libp2p → WebSocket → bench, the same hops as through the nodes' APIs`, rows)
await writeResults('chat', {
  params: { latencySamples: LATENCY_SAMPLES, throughputMessages: THROUGHPUT_MESSAGES, window: WINDOW, textBytes: TEXT.length, rawFrameBytes: RAW_FRAME_BYTES, firstDmPairs: FIRST_DM_PAIRS },
  enclave,
  firstDm: { first, second, pairs },
  rawLibp2p: raw,
  rows
})
