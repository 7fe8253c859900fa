/**
 * `npm run bench:groups`: MLS groups at size.
 * 1. Fan-out of one channel message to 49 other members: 50 headless cores in 5 processes,
 *    per-recipient and last-recipient latency, next to a raw libp2p fan-out to 49 streams in the
 *    same processes.
 * 2. Adding and removing a member of a 500-member group (the MLS work: commit, processing by a
 *    member, joining; p50 and max of several cycles after a warm-up), next to the same in a
 *    50-member group; and adding and removing a device of the 50-member channel of step 1
 *    through the real cores (store, libp2p), next to the MLS work alone at 50.
 * 3. Catch-up of 10,000 messages missed across 10 channels, from another member while the
 *    author is offline, next to the same bytes echoed over a raw libp2p stream.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import * as varint from 'uint8-varint'
import { createNetNode, type NetNode } from '../src/net/libp2p-node.js'
import { makeDataDir, removeDataDir } from '../test/helpers/node-process.js'
import { channelWith, now, startHost, until, untilSettled, workspaceOf, type HostedCore } from './core-hosts.js'
import { ECHO_PROTOCOL } from './group-host.js'
import { MEMBERSHIP_WARMUP, membershipOps, type Op } from './mls-membership.js'
import { eventWaiter, printTable, summarize, writeResults, type Row, type Summary } from './stats.js'
import type { ConversationId, ConversationView, MessageView } from '../src/api/contract.js'
import type { Stream } from '@libp2p/interface'

const FANOUT_SAMPLES = Number(process.env.BENCH_FANOUT_SAMPLES ?? 100)
const CATCHUP_PER_CHANNEL = Number(process.env.BENCH_CATCHUP_PER_CHANNEL ?? 1000)
const CHANNELS = 10
/** Add/remove cycles timed per group size (after MEMBERSHIP_WARMUP untimed ones). */
const MEMBERSHIP_SAMPLES = Number(process.env.BENCH_MEMBERSHIP_SAMPLES ?? 5)
const TEXT = 'x'.repeat(100)

// ---------- 1. fan-out ----------

async function rawFanout(node: NetNode, echoes: string[], streams: number, samples: number): Promise<{ each: number[]; last: number[] }> {
  const opened: Array<{ stream: Stream; iterator: AsyncIterator<Uint8Array | { byteLength: number }> }> = []
  for (let i = 0; i < streams; i++) {
    const stream = await node.dialProtocol(multiaddr(echoes[i % echoes.length] ?? ''), ECHO_PROTOCOL)
    opened.push({ stream, iterator: stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | { byteLength: number }> })
  }
  const frame = new Uint8Array([...varint.encode(400), ...new Uint8Array(400)])
  const each: number[] = []
  const last: number[] = []
  for (let s = 0; s < samples + 5; s++) {
    const t0 = now()
    const times = await Promise.all(opened.map(async ({ stream, iterator }) => {
      stream.send(frame)
      let got = 0
      while (got < frame.byteLength) {
        const next = await iterator.next()
        if (next.done === true) throw new Error('echo ended')
        got += next.value.byteLength
      }
      return now() - t0
    }))
    if (s >= 5) { each.push(...times); last.push(Math.max(...times)) }
  }
  for (const { stream } of opened) await stream.close()
  return { each, last }
}

/**
 * A 50-member channel of real cores (10 per process), plus a few more workspace members outside
 * it: first the fan-out, then adding and removing those others through the network.
 */
async function fanout(): Promise<{ setupSeconds: number; each: Summary; last: Summary; rawEach: Summary; rawLast: Summary; membership: Awaited<ReturnType<typeof networkMembership>> }> {
  const dirs = await Promise.all(Array.from({ length: 50 }, (_, i) => makeDataDir(`bench-fan-${i}`)))
  const extraDirs = await Promise.all(Array.from({ length: MEMBERSHIP_WARMUP + MEMBERSHIP_SAMPLES }, (_, i) => makeDataDir(`bench-extra-${i}`)))
  const hosts = await Promise.all([0, 1, 2, 3, 4].map((h) => startHost([...dirs.slice(h * 10, h * 10 + 10), ...extraDirs.filter((_, i) => i % 5 === h)], true)))
  const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  try {
    const byDir = new Map(hosts.flatMap((h) => h.cores).map((c) => [c.dataDir, c]))
    const coresOf = (list: string[]): HostedCore[] => list.map((d) => {
      const c = byDir.get(d)
      if (c === undefined) throw new Error(`no core for ${d}`)
      return c
    })
    const [sender, ...members] = coresOf(dirs)
    const extras = coresOf(extraDirs)
    if (sender === undefined) throw new Error('no cores')
    const t0 = now()
    const ws = await workspaceOf(sender, [...members, ...extras])
    const channel = await channelWith(sender, ws, members, 'all-hands')
    const setupSeconds = (now() - t0) / 1000

    const arrivals = new Map<string, number[]>()
    for (const m of members) {
      m.api.on('chat.messageAdded', (msg: MessageView) => {
        if (msg.conversationId !== channel) return
        const list = arrivals.get(msg.text) ?? []
        list.push(now())
        arrivals.set(msg.text, list)
      })
    }
    const each: number[] = []
    const last: number[] = []
    for (let i = 0; i < FANOUT_SAMPLES + 5; i++) {
      const text = `fan-out ${i} ${TEXT}`
      const start = now()
      await sender.api.call('chat.send', { conversationId: channel, text })
      await until(`message ${i} to reach all 49`, () => (arrivals.get(text)?.length ?? 0) >= members.length, 30_000)
      const times = (arrivals.get(text) ?? []).map((t) => t - start)
      if (i >= 5) { each.push(...times); last.push(Math.max(...times)) }
    }
    const raw = await rawFanout(node, hosts.map((h) => h.echo ?? ''), members.length, FANOUT_SAMPLES)
    const membership = await networkMembership([sender, ...members], extras, channel)
    return { setupSeconds, each: summarize(each), last: summarize(last), rawEach: summarize(raw.each), rawLast: summarize(raw.last), membership }
  } finally {
    await node.stop()
    await Promise.all(hosts.map((h) => h.stop()))
    await Promise.all([...dirs, ...extraDirs].map(removeDataDir))
  }
}

// ---------- 2. add and remove at 50 and 500 (the MLS work alone is bench/mls-membership.ts) ----------

/**
 * Adding and removing a device of a 50-member channel through real cores: `channels.add` on the
 * channel's creator until the new device has the channel active and every other member sees it
 * (MLS commit and welcome over libp2p, stored by each), then `channels.remove` until every other
 * member sees it gone. Each cycle adds a device new to the channel (one of `extras`, workspace
 * members outside it); the first MEMBERSHIP_WARMUP cycles are not counted.
 */
async function networkMembership(everyone: HostedCore[], extras: HostedCore[], channel: ConversationId): Promise<{ addNew: number[]; addAll: number[]; removeAll: number[] }> {
  const [creator] = everyone
  if (creator === undefined) throw new Error('no cores')
  const seen = new Map<string, { size: number; status: string }>()
  const { wake, until } = eventWaiter()
  for (const c of [...everyone, ...extras]) {
    c.api.on('conversations.changed', (v: ConversationView) => { if (v.id === channel) { seen.set(c.peerId, { size: v.members.length, status: v.status }); wake() } })
  }
  const size = everyone.length
  const allAt = (n: number): boolean => everyone.every((c) => seen.get(c.peerId)?.size === n)
  const out = { addNew: [] as number[], addAll: [] as number[], removeAll: [] as number[] }
  for (const [i, extra] of extras.entries()) {
    let t0 = now()
    await creator.api.call('channels.add', { conversationId: channel, members: [extra.peerId] })
    await until(() => seen.get(extra.peerId)?.status === 'active' && seen.get(extra.peerId)?.size === size + 1)
    const addNew = now() - t0
    await until(() => allAt(size + 1))
    const addAll = now() - t0
    t0 = now()
    await creator.api.call('channels.remove', { conversationId: channel, peerId: extra.peerId })
    await until(() => allAt(size))
    const removeAll = now() - t0
    if (i >= MEMBERSHIP_WARMUP) { out.addNew.push(addNew); out.addAll.push(addAll); out.removeAll.push(removeAll) }
  }
  return out
}

// ---------- 3. catch-up ----------

async function rawBulk(node: NetNode, echo: string, frames: number, frameBytes: number): Promise<number> {
  const stream = await node.dialProtocol(multiaddr(echo), ECHO_PROTOCOL)
  const frame = new Uint8Array([...varint.encode(frameBytes), ...new Uint8Array(frameBytes)])
  const total = frame.byteLength * frames
  const t0 = now()
  const reading = (async () => {
    let got = 0
    for await (const chunk of stream) {
      got += chunk.byteLength
      if (got >= total) return
    }
  })()
  for (let i = 0; i < frames; i++) if (!stream.send(frame)) await stream.onDrain()
  await reading
  const seconds = (now() - t0) / 1000
  await stream.close()
  return seconds
}

async function catchUp(): Promise<{ messages: number; channels: number; heldByB: number; caughtUp: number; seconds: number; perSecond: number; rawSeconds: number }> {
  const [dirA, dirB, dirC] = await Promise.all(['a', 'b', 'c'].map((n) => makeDataDir(`bench-catchup-${n}`)))
  if (dirA === undefined || dirB === undefined || dirC === undefined) throw new Error('no dirs')
  let hostA = await startHost([dirA], false)
  const hostB = await startHost([dirB], true)
  let hostC = await startHost([dirC], false)
  const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  try {
    const [a] = hostA.cores
    const [b] = hostB.cores
    const [c] = hostC.cores
    if (a === undefined || b === undefined || c === undefined) throw new Error('no cores')
    const ws = await workspaceOf(a, [b, c])
    await b.api.call('peers.dial', { address: c.address })
    const channels: ConversationId[] = []
    for (let i = 0; i < CHANNELS; i++) channels.push(await channelWith(a, ws, [b, c], `team-${i}`))
    const cPeer = c.peerId
    await hostC.stop()

    let atB = 0
    b.api.on('chat.messageAdded', (m: MessageView) => { if (!m.mine) atB++ })
    const total = CHANNELS * CATCHUP_PER_CHANNEL
    let issued = 0
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (issued < total) {
        const i = issued++
        await a.api.call('chat.send', { conversationId: channels[i % CHANNELS]!, text: `missed ${i} ${TEXT}` })
      }
    }))
    // Should any of the 10,000 not reach b, the row says how many arrived rather than the run
    // stalling (this bench found the outbox leaving entries written behind its cursor unsent).
    const heldByB = (await untilSettled(() => atB, total, 30_000)).count
    await hostA.stop()

    hostC = await startHost([dirC], false)
    const [c2] = hostC.cores
    if (c2 === undefined || c2.peerId !== cPeer) throw new Error('the late member came back as another device')
    let atC = 0
    c2.api.on('chat.messageAdded', (m: MessageView) => { if (!m.mine) atC++ })
    const t0 = now()
    await c2.api.call('peers.dial', { address: b.address })
    const caught = await untilSettled(() => atC, heldByB, 30_000)
    const seconds = (caught.lastMovedAt - t0) / 1000
    const rawSeconds = await rawBulk(node, hostB.echo ?? '', total, 420)
    hostA = await startHost([dirA], false)
    return { messages: total, channels: CHANNELS, heldByB, caughtUp: caught.count, seconds, perSecond: caught.count / seconds, rawSeconds }
  } finally {
    await node.stop()
    await Promise.all([hostA.stop(), hostB.stop(), hostC.stop()])
    await Promise.all([dirA, dirB, dirC].map(removeDataDir))
  }
}

const ms = (n: number): string => `${n.toFixed(1)} ms`
if (process.env.BENCH_ONLY === 'fanout' || process.env.BENCH_ONLY === 'catchup') {
  // For profiling one part: prints the raw figures and stops.
  process.stdout.write(JSON.stringify(process.env.BENCH_ONLY === 'fanout' ? await fanout() : await catchUp(), null, 2) + '\n')
  process.exit(0)
}
const fan = await fanout()
const big = await membershipOps(500, MEMBERSHIP_SAMPLES)
const small = await membershipOps(50, MEMBERSHIP_SAMPLES)
const caught = await catchUp()
const net = { addNew: summarize(fan.membership.addNew), addAll: summarize(fan.membership.addAll), removeAll: summarize(fan.membership.removeAll) }
/** "p50 / max" of one MLS operation at 500 members, and at 50 as the baseline. */
const op = (k: Op): { enclave: string; baseline: string } => ({
  enclave: `${ms(big.summary[k].p50)} / ${ms(big.summary[k].max)}`,
  baseline: `${ms(small.summary[k].p50)} / ${ms(small.summary[k].max)} (50 members)`
})
const both = (x: Summary): string => `${ms(x.p50)} / ${ms(x.max)}`
const rows: Row[] = [
  { metric: 'fan-out to 49, per recipient p50', enclave: ms(fan.each.p50), baseline: `${ms(fan.rawEach.p50)} (raw echo RTT)`, target: '—', met: '—' },
  { metric: 'fan-out to 49, per recipient p99', enclave: ms(fan.each.p99), baseline: `${ms(fan.rawEach.p99)} (raw echo RTT)`, target: '≤ 200 ms', met: fan.each.p99 <= 200 ? 'yes' : 'no' },
  { metric: 'fan-out to 49, last recipient p50', enclave: ms(fan.last.p50), baseline: `${ms(fan.rawLast.p50)} (raw, all 49 echoed)`, target: '—', met: '—' },
  { metric: 'fan-out to 49, last recipient p99', enclave: ms(fan.last.p99), baseline: `${ms(fan.rawLast.p99)} (raw, all 49 echoed)`, target: '≤ 200 ms', met: fan.last.p99 <= 200 ? 'yes' : 'no' },
  { metric: `add 1 to a 500-member group: commit (p50 / max, ${MEMBERSHIP_SAMPLES}×)`, ...op('addCommit'), target: '—', met: '—' },
  { metric: '  … a member applies it', ...op('addProcess'), target: '—', met: '—' },
  { metric: '  … the new member joins', ...op('addJoin'), target: '—', met: '—' },
  { metric: 'remove 1 from a 500-member group: commit', ...op('removeCommit'), target: '—', met: '—' },
  { metric: '  … a member applies it', ...op('removeProcess'), target: '—', met: '—' },
  { metric: `real cores, 50-member channel: add 1 until it reads (p50 / max, ${net.addNew.n}×)`, enclave: both(net.addNew), baseline: `${ms(small.summary.addCommit.p50 + small.summary.addJoin.p50)} (MLS alone: commit + join)`, target: '—', met: '—' },
  { metric: '  … until all 50 others see it', enclave: both(net.addAll), baseline: `${ms(small.summary.addCommit.p50 + small.summary.addProcess.p50)} (MLS alone: commit + apply)`, target: '—', met: '—' },
  { metric: '  remove it until all 50 others see it', enclave: both(net.removeAll), baseline: `${ms(small.summary.removeCommit.p50 + small.summary.removeProcess.p50)} (MLS alone: commit + apply)`, target: '—', met: '—' },
  { metric: `catch-up of ${caught.messages} messages in ${CHANNELS} channels`, enclave: `${caught.seconds.toFixed(2)} s${caught.caughtUp < caught.messages ? ` (${caught.caughtUp} arrived; ${caught.messages - caught.heldByB} never reached the online member)` : ''}`, baseline: `${caught.rawSeconds.toFixed(2)} s (same bytes, raw echo)`, target: '≤ 10 s', met: caught.seconds <= 10 && caught.caughtUp === caught.messages ? 'yes' : 'no' }
]
printTable(`Groups benchmark (fan-out setup of 50 members took ${fan.setupSeconds.toFixed(1)} s; 500-member create+add ${ms(big.createMs)}, welcome ${big.addWelcomeBytes} B; MLS add/remove after ${MEMBERSHIP_WARMUP} warm-up cycle)`, rows)
await writeResults('groups', { fanout: fan, membership500: big, membership50: small, networkMembership50: net, catchUp: caught, rows })
