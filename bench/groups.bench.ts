/**
 * `npm run bench:groups`: MLS groups at size.
 * 1. Fan-out of one channel message to 49 other members: 50 headless cores in 5 processes,
 *    per-recipient and last-recipient latency, next to a raw libp2p fan-out to 49 streams in the
 *    same processes.
 * 2. Adding and removing a member of a 500-member group (the MLS work: commit, processing by a
 *    member, joining), next to the same in a 50-member group.
 * 3. Catch-up of 10,000 messages missed across 10 channels, from another member while the
 *    author is offline, next to the same bytes echoed over a raw libp2p stream.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as varint from 'uint8-varint'
import { connectApi, type ApiClient } from '../src/api/ws-client.js'
import { deviceOfCredential, makeDeviceCredential } from '../src/crypto/mls-credential.js'
import { commitChanges, createGroupState, decodeMls, joinFromWelcome, membersOf, newKeyPackage, newSigningKeys, processPrivate, type MlsSigner, type OwnKeyPackage } from '../src/crypto/mls-group.js'
import { mlsClientConfig } from '../src/crypto/mls-suite.js'
import { createNetNode, type NetNode } from '../src/net/libp2p-node.js'
import { makeDataDir, removeDataDir } from '../test/helpers/node-process.js'
import { ECHO_PROTOCOL } from './group-host.js'
import { printTable, summarize, writeResults, type Row } from './stats.js'
import type { MessageView } from '../src/api/contract.js'
import type { Stream } from '@libp2p/interface'

const FANOUT_SAMPLES = Number(process.env.BENCH_FANOUT_SAMPLES ?? 100)
const CATCHUP_PER_CHANNEL = Number(process.env.BENCH_CATCHUP_PER_CHANNEL ?? 1000)
const CHANNELS = 10
const TEXT = 'x'.repeat(100)
const HOST = new URL('./group-host.js', import.meta.url).pathname

interface HostedCore { dataDir: string; peerId: string; address: string; url: string; token: string; api: ApiClient }
interface Host { child: ChildProcess; cores: HostedCore[]; echo: string | undefined; stop(): Promise<void> }

const now = (): number => performance.now()

async function startHost(dirs: string[], echo: boolean): Promise<Host> {
  const child = spawn(process.execPath, ['--enable-source-maps', ...(process.env.BENCH_HOST_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), HOST, ...dirs, ...(echo ? ['--echo'] : [])], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ENCLAVE_LOG: 'warn' } })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const cores: Array<Omit<HostedCore, 'api'>> = []
  let echoAddress: string | undefined
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') { resolve(); return }
      const parsed = JSON.parse(line) as Omit<HostedCore, 'api'> & { echo?: string }
      if (parsed.echo !== undefined) echoAddress = parsed.echo
      else cores.push(parsed)
    })
    void exited.then(() => { reject(new Error('bench host exited early')) })
  })
  const connected = await Promise.all(cores.map(async (c) => ({ ...c, api: await connectApi(c) })))
  return {
    child,
    cores: connected,
    echo: echoAddress,
    stop: async () => {
      for (const c of connected) c.api.close()
      child.kill('SIGTERM')
      await exited
    }
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`benchmark stalled waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Makes `owner` a workspace's owner and every other core a member of it. */
async function workspaceOf(owner: HostedCore, others: HostedCore[]): Promise<string> {
  const ws = await owner.api.call('workspaces.create', { name: 'Bench' })
  for (const m of others) {
    const { link } = await owner.api.call('workspaces.invite', { workspaceId: ws.id })
    await m.api.call('workspaces.join', { link })
  }
  return ws.id
}

async function channelWith(owner: HostedCore, workspaceId: string, members: HostedCore[], name: string): Promise<string> {
  const ch = await owner.api.call('channels.create', { workspaceId, name, members: members.map((m) => m.peerId) })
  const size = members.length + 1
  for (const m of members) {
    await until(`${name} to reach every member`, async () => {
      const c = (await m.api.call('conversations.list', {})).find((x) => x.id === ch.id)
      return c?.status === 'active' && c.members.length === size
    })
  }
  return ch.id
}

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

async function fanout(): Promise<Record<string, unknown>> {
  const dirs = await Promise.all(Array.from({ length: 50 }, (_, i) => makeDataDir(`bench-fan-${i}`)))
  const hosts = await Promise.all([0, 1, 2, 3, 4].map((h) => startHost(dirs.slice(h * 10, h * 10 + 10), true)))
  const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  try {
    const all = hosts.flatMap((h) => h.cores)
    const [sender, ...members] = all
    if (sender === undefined) throw new Error('no cores')
    const t0 = now()
    const ws = await workspaceOf(sender, members)
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
    return { setupSeconds, each: summarize(each), last: summarize(last), rawEach: summarize(raw.each), rawLast: summarize(raw.last) }
  } finally {
    await node.stop()
    await Promise.all(hosts.map((h) => h.stop()))
    await Promise.all(dirs.map(removeDataDir))
  }
}

// ---------- 2. add and remove at 500 ----------

async function signers(n: number): Promise<Array<{ device: string; signer: MlsSigner }>> {
  return Promise.all(Array.from({ length: n }, async () => {
    const key = await generateKeyPair('Ed25519')
    const device = peerIdFromPrivateKey(key).toString()
    const keys = await newSigningKeys()
    return { device, signer: { ...keys, credential: await makeDeviceCredential(key, device, keys.publicKey) } }
  }))
}

async function membershipOps(n: number): Promise<Record<string, number>> {
  const config = mlsClientConfig({ validateCredential: async (c, k) => await deviceOfCredential(c, k) !== null })
  const people = await signers(n + 1)
  const packages: OwnKeyPackage[] = []
  for (const p of people) packages.push(await newKeyPackage(p.signer))
  const [own, firstMember, ...rest] = packages
  if (own === undefined || firstMember === undefined) throw new Error('no packages')
  const joinerPackage = rest.pop()
  if (joinerPackage === undefined) throw new Error('no joiner')
  let t = now()
  const created = await commitChanges(await createGroupState('ch:bench/x', own, config), { add: [firstMember.publicPackage, ...rest.map((k) => k.publicPackage)] })
  const createMs = now() - t
  if (created.welcome === null) throw new Error('no welcome')
  const welcome = decodeMls(created.welcome)
  if (welcome.wireformat !== 'mls_welcome') throw new Error('not a welcome')
  t = now()
  const member = await joinFromWelcome(welcome.welcome, firstMember, config)
  const joinMs = now() - t

  t = now()
  const added = await commitChanges(created.state, { add: [joinerPackage.publicPackage] })
  const addCommitMs = now() - t
  t = now()
  const memberAfterAdd = await processPrivate(member, decodeMls(added.commit), (leaf) => leaf === 0)
  const addProcessMs = now() - t
  if (memberAfterAdd.kind !== 'commit' || added.welcome === null) throw new Error('add did not apply')
  const addedWelcome = decodeMls(added.welcome)
  if (addedWelcome.wireformat !== 'mls_welcome') throw new Error('not a welcome')
  t = now()
  await joinFromWelcome(addedWelcome.welcome, joinerPackage, config)
  const addJoinMs = now() - t

  const victim = membersOf(added.state).at(-2)?.leaf ?? 2
  t = now()
  const removed = await commitChanges(added.state, { remove: [victim] })
  const removeCommitMs = now() - t
  t = now()
  const memberAfterRemove = await processPrivate(memberAfterAdd.state, decodeMls(removed.commit), (leaf) => leaf === 0)
  const removeProcessMs = now() - t
  if (memberAfterRemove.kind !== 'commit') throw new Error('remove did not apply')
  return { members: membersOf(created.state).length, createMs, joinMs, addCommitMs, addProcessMs, addJoinMs, addCommitBytes: added.commit.byteLength, addWelcomeBytes: added.welcome.byteLength, removeCommitMs, removeProcessMs, removeCommitBytes: removed.commit.byteLength }
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

async function catchUp(): Promise<Record<string, unknown>> {
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
    const channels: string[] = []
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
        await a.api.call('chat.send', { conversationId: channels[i % CHANNELS] ?? '', text: `missed ${i} ${TEXT}` })
      }
    }))
    await until('the other member to hold all 10,000', () => atB >= total, 300_000)
    await hostA.stop()

    hostC = await startHost([dirC], false)
    const [c2] = hostC.cores
    if (c2 === undefined || c2.peerId !== cPeer) throw new Error('the late member came back as another device')
    let atC = 0
    c2.api.on('chat.messageAdded', (m: MessageView) => { if (!m.mine) atC++ })
    const t0 = now()
    await c2.api.call('peers.dial', { address: b.address })
    await until('the late member to catch up', () => atC >= total, 300_000)
    const seconds = (now() - t0) / 1000
    const rawSeconds = await rawBulk(node, hostB.echo ?? '', total, 420)
    hostA = await startHost([dirA], false)
    return { messages: total, channels: CHANNELS, seconds, perSecond: total / seconds, rawSeconds }
  } finally {
    await node.stop()
    await Promise.all([hostA.stop(), hostB.stop(), hostC.stop()])
    await Promise.all([dirA, dirB, dirC].map(removeDataDir))
  }
}

const ms = (n: number): string => `${n.toFixed(1)} ms`
if (process.env.BENCH_ONLY === 'fanout') {
  // For profiling one part: prints the raw figures and stops.
  process.stdout.write(JSON.stringify(await fanout(), null, 2) + '\n')
  process.exit(0)
}
const fan = await fanout()
const big = await membershipOps(500)
const small = await membershipOps(50)
const caught = await catchUp()
const f = fan as { each: { p50: number; p99: number }; last: { p50: number; p99: number }; rawEach: { p50: number; p99: number }; rawLast: { p50: number; p99: number }; setupSeconds: number }
const cu = caught as { seconds: number; rawSeconds: number; perSecond: number }
const n = (v: number | undefined): number => v ?? Number.NaN
const rows: Row[] = [
  { metric: 'fan-out to 49, per recipient p50', enclave: ms(f.each.p50), baseline: `${ms(f.rawEach.p50)} (raw echo RTT)`, target: '—', met: '—' },
  { metric: 'fan-out to 49, per recipient p99', enclave: ms(f.each.p99), baseline: `${ms(f.rawEach.p99)} (raw echo RTT)`, target: '≤ 200 ms', met: f.each.p99 <= 200 ? 'yes' : 'no' },
  { metric: 'fan-out to 49, last recipient p50', enclave: ms(f.last.p50), baseline: `${ms(f.rawLast.p50)} (raw, all 49 echoed)`, target: '—', met: '—' },
  { metric: 'fan-out to 49, last recipient p99', enclave: ms(f.last.p99), baseline: `${ms(f.rawLast.p99)} (raw, all 49 echoed)`, target: '≤ 200 ms', met: f.last.p99 <= 200 ? 'yes' : 'no' },
  { metric: 'add 1 to a 500-member group: commit', enclave: ms(n(big.addCommitMs)), baseline: `${ms(n(small.addCommitMs))} (50 members)`, target: '—', met: '—' },
  { metric: '  … a member applies it', enclave: ms(n(big.addProcessMs)), baseline: `${ms(n(small.addProcessMs))} (50 members)`, target: '—', met: '—' },
  { metric: '  … the new member joins', enclave: ms(n(big.addJoinMs)), baseline: `${ms(n(small.addJoinMs))} (50 members)`, target: '—', met: '—' },
  { metric: 'remove 1 from a 500-member group: commit', enclave: ms(n(big.removeCommitMs)), baseline: `${ms(n(small.removeCommitMs))} (50 members)`, target: '—', met: '—' },
  { metric: '  … a member applies it', enclave: ms(n(big.removeProcessMs)), baseline: `${ms(n(small.removeProcessMs))} (50 members)`, target: '—', met: '—' },
  { metric: `catch-up of ${CHANNELS * CATCHUP_PER_CHANNEL} messages in ${CHANNELS} channels`, enclave: `${cu.seconds.toFixed(2)} s`, baseline: `${cu.rawSeconds.toFixed(2)} s (same bytes, raw echo)`, target: '≤ 10 s', met: cu.seconds <= 10 ? 'yes' : 'no' }
]
printTable(`Groups benchmark (fan-out setup of 50 members took ${f.setupSeconds.toFixed(1)} s; 500-member create+add ${ms(n(big.createMs))}, welcome ${n(big.addWelcomeBytes)} B)`, rows)
await writeResults('groups', { fanout: fan, membership500: big, membership50: small, catchUp: caught, rows })
