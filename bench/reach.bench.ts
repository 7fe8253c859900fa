/**
 * `npm run bench:reach` (issue 14): does every member reach every member, and how fast is a gap
 * filled?
 * 1. Reach: 49 members in 5 processes, each of whom joined by the owner's invite (so each knows
 *    the owner, not each other). A newcomer who knows only the owner joins and sends one DM to
 *    each of the 49: time from its join until each DM is delivered (p50, p99, all 49), next to a
 *    second newcomer given every member's address up front (it dials them all as it sends). Each
 *    newcomer joins once every member shows the workspace channel whole: the owner's commits for
 *    the last joins used to run into the measurement (one run saw two 50-member commits in it).
 * 2. Gap: a channel of a holder, an author and a reader. The reader is away while the author
 *    posts; the post reaches the holder; the author goes away for good; the reader comes back.
 *    Time from the reader's catch-up with the holder starting (the holder connected and proved
 *    membership) until the post is stored, from the reader's own log, next to the catch-ups of
 *    the same connection that had nothing to fetch.
 */
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { waitFor } from '../src/wait-for.js'
import { joinWorkspace, now, startHost, until, workspaceOf, workspaceSettled, type HostedCore } from './core-hosts.js'
import { printTable, summarize, writeResults, type Row, type Summary } from './stats.js'
import type { ConversationId, MessageView } from '../src/api/contract.js'

const GAP_SAMPLES = Number(process.env.BENCH_GAP_SAMPLES ?? 8)
const MEMBERS = 49

const ms = (v: number): string => `${v.toFixed(0)} ms`

/** Sends one DM from `from` to each member; resolves with each one's delivery time after `t0`. */
async function dmEach(from: HostedCore, members: HostedCore[], t0: number, before?: (m: HostedCore) => Promise<void>): Promise<number[]> {
  const delivered = new Map<string, number>()
  from.api.on('chat.messageUpdated', (m: MessageView) => { if (m.state === 'delivered' && !delivered.has(m.id)) delivered.set(m.id, now()) })
  const sent = await Promise.all(members.map(async (m) => {
    await before?.(m)
    return (await from.api.call('chat.send', { peerId: m.peerId, text: `hello ${m.peerId.slice(-6)}` })).id
  }))
  await until('every DM delivered', () => sent.every((id) => delivered.has(id)), 120_000)
  return sent.map((id) => (delivered.get(id) ?? Number.NaN) - t0)
}

async function reach(): Promise<{ setupSeconds: number; joinMs: number; routed: Summary; given: Summary }> {
  const dirs = await Promise.all(Array.from({ length: MEMBERS + 2 }, (_, i) => makeDataDir(`bench-reach-${i}`)))
  const hosts = await Promise.all([0, 1, 2, 3, 4].map((h) => startHost(dirs.filter((_, i) => i % 5 === h), false)))
  try {
    const byDir = new Map(hosts.flatMap((h) => h.cores).map((c) => [c.dataDir, c]))
    const cores = dirs.map((d) => {
      const c = byDir.get(d)
      if (c === undefined) throw new Error(`no core for ${d}`)
      return c
    })
    const members = cores.slice(0, MEMBERS)
    const [owner] = members
    const [routed, given] = cores.slice(MEMBERS)
    if (owner === undefined || routed === undefined || given === undefined) throw new Error('no cores')
    const t = now()
    const ws = await workspaceOf(owner, members.slice(1))
    await workspaceSettled(members, ws, MEMBERS)
    const setupSeconds = (now() - t) / 1000

    // The newcomer knows the owner only (its invite names the owner's addresses).
    const joinStart = now()
    await joinWorkspace(owner, routed, ws)
    const t0 = now()
    const joinMs = t0 - joinStart
    const mark = (what: string): void => { if (process.env.BENCH_TRACE !== undefined) process.stderr.write(`bench: ${what} at ${new Date().toISOString()} (monotonic ${process.hrtime.bigint() / 1000n} µs)\n`) }
    mark('the newcomer joined')
    const routedTimes = await dmEach(routed, members, t0)
    mark('every DM delivered')

    // The baseline newcomer is told every member's address and dials each as it sends.
    await workspaceSettled([...members, routed], ws, MEMBERS + 1)
    await joinWorkspace(owner, given, ws)
    const g0 = now()
    const givenTimes = await dmEach(given, members, g0, async (m) => { await given.api.call('peers.dial', { address: m.address }) })
    return { setupSeconds, joinMs, routed: summarize(routedTimes), given: summarize(givenTimes) }
  } finally {
    await Promise.all(hosts.map((h) => h.stop()))
    await Promise.all(dirs.map(removeDataDir))
  }
}

/**
 * From the reader's own log, each catch-up with `holder` since line `from`: how long it took and
 * how many envelopes it stored. The one for `conv` that stored the post is the gap filled.
 */
function catchUps(reader: NodeProcess, holder: string, from: number): Array<{ conv: string; ms: number; envelopes: number }> {
  const started = new Map<string, number>()
  const out: Array<{ conv: string; ms: number; envelopes: number }> = []
  for (const l of reader.logs.slice(from)) {
    if (l.peer !== holder || typeof l.conv !== 'string' || typeof l.t !== 'string') continue
    if (l.msg === 'catching up') started.set(l.conv, Date.parse(l.t))
    const start = started.get(l.conv)
    if (l.msg === 'caught up' && start !== undefined) out.push({ conv: l.conv, ms: Date.parse(l.t) - start, envelopes: typeof l.envelopes === 'number' ? l.envelopes : 0 })
  }
  return out
}

/**
 * The baseline for a gap filled: a post from the holder delivered live to the reader on the same
 * connection, from the holder's `envelopes sent` line to the reader's `envelopes taken` line.
 */
async function liveDelivery(holder: NodeProcess, reader: NodeProcess, channel: ConversationId, text: string): Promise<number> {
  const sent = await holder.api.call('chat.send', { conversationId: channel, text })
  const first = `${channel}/${holder.peerId}/${sent.id.split('/').at(-1) ?? ''}`
  const at = (node: NodeProcess, msg: string, peer: string): number | undefined => {
    const line = node.logs.find((l) => l.msg === msg && l.peer === peer && l.first === first)
    return typeof line?.t === 'string' ? Date.parse(line.t) : undefined
  }
  return waitFor('the live post to be stored by the reader', () => {
    const [out, taken] = [at(holder, 'envelopes sent', reader.peerId), at(reader, 'envelopes taken', holder.peerId)]
    return out !== undefined && taken !== undefined ? taken - out : undefined
  }, { timeoutMs: 30_000 })
}

async function gap(): Promise<{ filled: Summary; empty: Summary }> {
  const [dirH, dirA, dirR] = [await makeDataDir('bench-gap-holder'), await makeDataDir('bench-gap-author'), await makeDataDir('bench-gap-reader')]
  const holder = await startNode(dirH)
  let author = await startNode(dirA, { peers: [holder.address] })
  let reader = await startNode(dirR, { peers: [holder.address] })
  try {
    const ws = (await holder.api.call('workspaces.create', { name: 'Gap' })).id
    for (const m of [author, reader]) await m.api.call('workspaces.join', { link: (await holder.api.call('workspaces.invite', { workspaceId: ws })).link })
    await author.api.call('peers.dial', { address: reader.address })
    const channel = (await holder.api.call('channels.create', { workspaceId: ws, name: 'gap', members: [author.peerId, reader.peerId] })).id
    await waitFor('the channel to reach both', async () => {
      const views = await Promise.all([author, reader].map(async (n) => (await n.api.call('conversations.list', {})).find((c) => c.id === channel)))
      return views.every((c) => c?.status === 'active' && c.members.length === 3)
    }, { timeoutMs: 60_000 })
    const filled: number[] = []
    const empty: number[] = []
    for (let i = 0; i < GAP_SAMPLES; i++) {
      await reader.stop()
      const text = `gap ${i}`
      await author.api.call('chat.send', { conversationId: channel, text })
      await waitFor('the holder to have the post', async () => (await holder.api.call('chat.history', { conversationId: channel, limit: 5 })).some((m) => m.text === text), { timeoutMs: 30_000 })
      // The author is gone for good: only the holder has the post.
      await author.stop()
      reader = await startNode(dirR, { peers: [holder.address] })
      await waitFor('the reader to show the post', async () => (await reader.api.call('chat.history', { conversationId: channel, limit: 5 })).some((m) => m.text === text), { timeoutMs: 60_000 })
      const rounds = catchUps(reader, holder.peerId, 0)
      const fill = rounds.find((r) => r.conv === channel && r.envelopes > 0)
      if (fill === undefined) throw new Error('the reader\'s log does not show the catch-up that filled the gap')
      filled.push(fill.ms)
      empty.push(await liveDelivery(holder, reader, channel, `live ${i}`))
      author = await startNode(dirA, { peers: [holder.address] })
    }
    return { filled: summarize(filled), empty: summarize(empty) }
  } finally {
    await Promise.all([holder, author, reader].map((n) => n.stop()))
    await Promise.all([dirH, dirA, dirR].map(removeDataDir))
  }
}

const reached = await reach()
const { filled, empty } = await gap()
const rows: Row[] = [
  { metric: 'newcomer reaches all 49 (DM delivered to each), last', enclave: ms(reached.routed.max), baseline: ms(reached.given.max), target: '≤ 5000 ms', met: reached.routed.max <= 5000 ? 'yes' : 'no' },
  { metric: 'newcomer DM delivered, p50', enclave: ms(reached.routed.p50), baseline: ms(reached.given.p50), target: '', met: '' },
  { metric: 'newcomer DM delivered, p99', enclave: ms(reached.routed.p99), baseline: ms(reached.given.p99), target: '', met: '' },
  { metric: 'gap filled after the holder is ready, p50 (baseline: a live post from the holder, sent to stored)', enclave: ms(filled.p50), baseline: ms(empty.p50), target: '', met: '' },
  { metric: 'gap filled after the holder is ready, p99 / max', enclave: `${ms(filled.p99)} / ${ms(filled.max)}`, baseline: `${ms(empty.p99)} / ${ms(empty.max)}`, target: '≤ 2000 ms', met: filled.max <= 2000 ? 'yes' : 'no' }
]
printTable(`Reach: ${MEMBERS} members in 5 processes (setup ${reached.setupSeconds.toFixed(0)} s, newcomer's join ${ms(reached.joinMs)}); baseline: every address given up front`, rows)
await writeResults('reach', { reach: reached, gap: { filled, empty } })
