/**
 * `npm run bench:hostile`: a member (Bob, its own process) under attack, next to the same node
 * idle. (a) 100 stranger ids, 32 streams each, over every Enclave protocol; (b) a guest's
 * forged-envelope and oversized-frame flood (test/hostile/guest-flood.ts), repeated while the
 * honest messages are timed. For each: Bob's RSS and CPU, the latency of Alice's messages to Bob
 * (send → Bob's `chat.messageAdded`), and how long Bob takes to give the memory back.
 * Targets (issue 13): RSS growth ≤ 64 MB, honest p99 ≤ 2× idle, memory back within 30 s.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { CHAT_PROTOCOL } from '../src/chat/chat-frames.js'
import { GROUP_PROTOCOL } from '../src/chat/group-protocol.js'
import { DOCS_PROTOCOL } from '../src/docs/doc-protocol.js'
import { createNetNode, type NetNode } from '../src/net/libp2p-node.js'
import { JOIN_PROTOCOL } from '../src/org/join-protocol.js'
import { MEMBERSHIP_PROTOCOL } from '../src/org/membership-sync.js'
import { cpuSeconds, flood, rssMb, type FloodPlan } from '../test/helpers/flood.js'
import { sendDelivered } from '../test/helpers/chat.js'
import { makeDataDir, removeDataDir, startNode } from '../test/helpers/node-process.js'
import { startAttacker } from '../test/hostile/attacker.js'
import { guestFlood } from '../test/hostile/guest-flood.js'
import { printTable, summarize, writeResults, type Row, type Summary } from './stats.js'
import type { MessageView } from '../src/api/contract.js'

const SAMPLES = Number(process.env.BENCH_HOSTILE_SAMPLES ?? 200)
const STRANGERS = 100
const MiB = 1024 * 1024
/** 32 streams per stranger id. */
const STRANGER_PLAN: FloodPlan = [
  [CHAT_PROTOCOL, 8, MiB, MiB - 1],
  [MEMBERSHIP_PROTOCOL, 8, 8 * 1024, 8 * 1024 - 1],
  [DOCS_PROTOCOL, 8, 48 * MiB, 2 * MiB],
  [JOIN_PROTOCOL, 4, 4096, 4095],
  [GROUP_PROTOCOL, 4, 256 * 1024, 256 * 1024 - 1]
]
const RSS_BOUND_MB = 64
const RETURN_WITHIN_S = 30
/** "Given back": within this much of the idle RSS. */
const RETURNED_MB = 16

interface Phase { rssIdle: number; rssPeak: number; cpuS: number; seconds: number; latency: Summary; returnedS: number | null }

async function main(): Promise<void> {
  const alice = await startNode(await makeDataDir('bench-alice'))
  const bob = await startNode(await makeDataDir('bench-bob'), { peers: [alice.address] })
  const ws = (await alice.api.call('workspaces.create', { name: 'Bench' })).id
  await bob.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws })).link })
  await sendDelivered(alice, { peerId: bob.peerId }, 'warm-up')
  const arrived = new Map<string, number>()
  bob.api.on('chat.messageAdded', (m: MessageView) => { arrived.set(`${m.author}:${m.seq}`, performance.now()) })

  /** Alice's messages to Bob one at a time: send → Bob's event. */
  const latency = async (): Promise<number[]> => {
    const out: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now()
      const sent = await alice.api.call('chat.send', { peerId: bob.peerId, text: `sample ${i}` })
      const key = `${sent.author}:${sent.seq}`
      for (let t = 0; !arrived.has(key); t++) {
        if (t > 3000) throw new Error('a sample did not arrive in 30 s')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      out.push((arrived.get(key) ?? t0) - t0)
    }
    return out
  }

  /** Runs `attack` (repeated until the samples are taken) next to the latency run; Bob's figures. */
  const phase = async (attack: (stop: () => boolean) => Promise<void>): Promise<Phase> => {
    const rssIdle = Math.min(await rssMb(bob.child.pid), await rssMb(bob.child.pid))
    const cpu0 = await cpuSeconds(bob.child.pid)
    const t0 = performance.now()
    let rssPeak = rssIdle
    const sampler = setInterval(() => { rssMb(bob.child.pid).then((mb) => { rssPeak = Math.max(rssPeak, mb) }, () => undefined) }, 100)
    let done = false
    const attacking = attack(() => done)
    const samples = await latency()
    done = true
    await attacking
    clearInterval(sampler)
    const cpuS = await cpuSeconds(bob.child.pid) - cpu0
    const seconds = (performance.now() - t0) / 1000
    const after = performance.now()
    let returnedS: number | null = null
    while (performance.now() - after < RETURN_WITHIN_S * 1000 + 5000) {
      if (await rssMb(bob.child.pid) <= rssIdle + RETURNED_MB) { returnedS = (performance.now() - after) / 1000; break }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    return { rssIdle, rssPeak, cpuS, seconds, latency: summarize(samples), returnedS }
  }

  const idle = await phase(() => Promise.resolve())
  const strangers = await phase(async (stop) => {
    const ids: NetNode[] = await Promise.all(Array.from({ length: STRANGERS }, async () => createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: [], mdns: false })))
    do await Promise.all(ids.map((id) => flood(id, bob.address, STRANGER_PLAN)))
    while (!stop())
    await Promise.all(ids.map(async (id) => { await id.stop() }))
  })
  const guest = await startAttacker()
  const joined = await guest.redeem((await alice.api.call('workspaces.invite', { workspaceId: ws, role: 'guest' })).link, 'Guest')
  if (joined.status !== 'active') throw new Error('the guest did not join')
  const guestPhase = await phase(async (stop) => {
    let first = 1_000_000
    do { await guestFlood(guest, bob, alice.peerId, first); first += 1000 } while (!stop())
  })
  await guest.stop()

  const mb = (n: number): string => `${n.toFixed(0)} MB`
  const ms = (s: Summary): string => `p50 ${s.p50.toFixed(1)} / p99 ${s.p99.toFixed(1)} ms`
  const rows: Row[] = [{ metric: 'idle: RSS, CPU, latency', enclave: `${mb(idle.rssPeak)}, ${idle.cpuS.toFixed(2)} s in ${idle.seconds.toFixed(1)} s, ${ms(idle.latency)}`, baseline: '', target: '', met: '' }]
  for (const [name, p] of [['(a) 100 strangers x 32 streams', strangers], ['(b) guest forged + oversized', guestPhase]] as const) {
    const growth = p.rssPeak - p.rssIdle
    rows.push(
      { metric: `${name}: RSS growth`, enclave: `+${mb(growth)} (${mb(p.rssIdle)} -> ${mb(p.rssPeak)})`, baseline: `idle +${mb(idle.rssPeak - idle.rssIdle)}`, target: `<= ${RSS_BOUND_MB} MB`, met: growth <= RSS_BOUND_MB ? 'yes' : 'NO' },
      { metric: `${name}: CPU`, enclave: `${p.cpuS.toFixed(2)} s in ${p.seconds.toFixed(1)} s`, baseline: `${idle.cpuS.toFixed(2)} s in ${idle.seconds.toFixed(1)} s`, target: '', met: '' },
      { metric: `${name}: honest latency`, enclave: ms(p.latency), baseline: ms(idle.latency), target: 'p99 <= 2x idle', met: p.latency.p99 <= 2 * idle.latency.p99 ? 'yes' : 'NO' },
      { metric: `${name}: memory back`, enclave: p.returnedS === null ? 'not within 35 s' : `${p.returnedS.toFixed(1)} s`, baseline: `within ${RETURNED_MB} MB of idle`, target: `<= ${RETURN_WITHIN_S} s`, met: p.returnedS !== null && p.returnedS <= RETURN_WITHIN_S ? 'yes' : 'NO' }
    )
  }
  printTable(`bench:hostile — Bob under attack, ${SAMPLES} honest messages per phase`, rows)
  await writeResults('hostile', { samples: SAMPLES, idle, strangers, guest: guestPhase })
  await Promise.all([alice.stop(), bob.stop()])
  await Promise.all([removeDataDir(alice.dataDir), removeDataDir(bob.dataDir)])
}

await main()
