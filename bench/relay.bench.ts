/**
 * `npm run bench:relay`: chat latency and throughput through the company relay, next to the same
 * between the same kind of nodes connected directly, in one run. Four processes on loopback: a
 * relay, a device holding a reservation on it, and two senders (one dials it directly, one only
 * through the relay). Relayed peers are not moved to a direct path here (ENCLAVE_PATH_UPGRADE_MS=0).
 */
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { eventWaiter, printTable, summarize, writeResults, type Row } from './stats.js'
import type { MessageView } from '../src/api/contract.js'

const SAMPLES = Number(process.env.BENCH_RELAY_SAMPLES ?? 300)
const MESSAGES = Number(process.env.BENCH_RELAY_MESSAGES ?? 3000)
const WINDOW = 128
const TEXT = 'x'.repeat(100)
const env = { ENCLAVE_PATH_UPGRADE_MS: '0' }

async function measure(from: NodeProcess, to: NodeProcess): Promise<{ latency: ReturnType<typeof summarize>; perSecond: number }> {
  const arrived = new Map<string, number>()
  let count = 0
  const { wake, until } = eventWaiter()
  to.api.on('chat.messageAdded', (m: MessageView) => { if (m.author === from.peerId) { arrived.set(m.id, performance.now()); count++; wake() } })
  const samples: number[] = []
  for (let i = 0; i < SAMPLES + 30; i++) {
    const t0 = performance.now()
    const sent = await from.api.call('chat.send', { peerId: to.peerId, text: TEXT })
    await until(() => arrived.has(sent.id))
    if (i >= 30) samples.push((arrived.get(sent.id) ?? t0) - t0)
  }
  const start = count
  const t0 = performance.now()
  let issued = 0
  await Promise.all(Array.from({ length: WINDOW }, async () => {
    while (issued < MESSAGES) {
      issued++
      await from.api.call('chat.send', { peerId: to.peerId, text: TEXT })
    }
  }))
  await until(() => count - start >= MESSAGES)
  return { latency: summarize(samples), perSecond: MESSAGES / ((performance.now() - t0) / 1000) }
}

const relay = await startNode(await makeDataDir('bench-relay'), { relay: true, args: ['--allow-anyone'], env })
const bob = await startNode(await makeDataDir('bench-bob'), { args: ['--relay', relay.address], env })
const direct = await startNode(await makeDataDir('bench-direct'), { env })
const relayed = await startNode(await makeDataDir('bench-relayed'), { env })
try {
  for (let i = 0; !(await bob.api.call('net.health', {})).relays[0]?.reserved; i++) {
    if (i > 300) throw new Error('no reservation on the relay')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await direct.api.call('peers.dial', { address: bob.address })
  await relayed.api.call('peers.dial', { address: `${relay.address}/p2p-circuit/p2p/${bob.peerId}` })
  const viaDirect = await measure(direct, bob)
  const viaRelay = await measure(relayed, bob)
  if ((await relayed.api.call('net.health', {})).relayedConnections === 0) throw new Error('the relayed sender went direct: the measurement is not of the relay')
  const ms = (n: number): string => `${n.toFixed(2)} ms`
  const rate = (n: number): string => `${Math.round(n).toLocaleString('en-US')} msg/s`
  const rows: Row[] = [
    { metric: 'latency p50, send → recipient stored', enclave: ms(viaRelay.latency.p50), baseline: `${ms(viaDirect.latency.p50)} (direct)`, target: '—', met: '—' },
    { metric: 'latency p99, send → recipient stored', enclave: ms(viaRelay.latency.p99), baseline: `${ms(viaDirect.latency.p99)} (direct)`, target: '—', met: '—' },
    { metric: 'throughput, stored at recipient', enclave: rate(viaRelay.perSecond), baseline: `${rate(viaDirect.perSecond)} (direct)`, target: '—', met: '—' }
  ]
  printTable(`Relay benchmark: ${SAMPLES} latency samples, ${MESSAGES} messages of 100 B, ${WINDOW} in flight; enclave column = through the relay`, rows)
  await writeResults('relay', { relayed: viaRelay, direct: viaDirect, rows })
} finally {
  await Promise.all([relay, bob, direct, relayed].map((n) => n.stop()))
  await Promise.all([relay, bob, direct, relayed].map((n) => removeDataDir(n.dataDir)))
}
