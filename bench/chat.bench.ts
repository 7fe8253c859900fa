/**
 * `npm run bench:chat`: 1:1 latency and sustained throughput between two Enclave nodes in
 * separate processes on loopback (durable LevelDB storage on both sides), next to a raw libp2p
 * stream between two processes measured in the same run.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import * as varint from 'uint8-varint'
import { createNetNode } from '../src/net/libp2p-node.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { eventWaiter, printTable, summarize, writeResults } from './stats.js'
import type { MessageView } from '../src/api/contract.js'

const ECHO_PROTOCOL = '/enclave-bench/echo/1.0.0'
const WARMUP = 100
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000)
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_THROUGHPUT_MESSAGES ?? 10_000)
const WINDOW = 256
const TEXT = 'x'.repeat(100)

function ms(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e6
}

async function rawBaseline(): Promise<{ rtt: ReturnType<typeof summarize>; msgsPerSec: number }> {
  const child = spawn(process.execPath, ['--enable-source-maps', new URL('./raw-echo-peer.js', import.meta.url).pathname, ECHO_PROTOCOL], { stdio: ['ignore', 'pipe', 'inherit'] })
  const address = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))
  const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  try {
    const stream = await node.dialProtocol(multiaddr(address), ECHO_PROTOCOL)
    const frame = new Uint8Array([...varint.encode(100), ...new Uint8Array(100)])
    const iterator = stream[Symbol.asyncIterator]()
    let buffered = 0
    const readBytes = async (n: number): Promise<void> => {
      while (buffered < n) {
        const next = await iterator.next()
        if (next.done === true) throw new Error('echo stream ended')
        buffered += next.value.byteLength
      }
      buffered -= n
    }
    const samples: number[] = []
    for (let i = 0; i < WARMUP + LATENCY_SAMPLES; i++) {
      const t0 = process.hrtime.bigint()
      stream.send(frame)
      await readBytes(frame.byteLength)
      if (i >= WARMUP) samples.push(ms(t0))
    }
    // Throughput: the same number of messages as Enclave's run, WINDOW in flight.
    const t0 = process.hrtime.bigint()
    let sent = 0
    let received = 0
    while (received < THROUGHPUT_MESSAGES) {
      while (sent < THROUGHPUT_MESSAGES && sent - received < WINDOW) {
        if (!stream.send(frame)) await stream.onDrain()
        sent++
      }
      await readBytes(frame.byteLength)
      received++
    }
    const msgsPerSec = THROUGHPUT_MESSAGES / (ms(t0) / 1000)
    await stream.close()
    return { rtt: summarize(samples), msgsPerSec }
  } finally {
    await node.stop()
    child.kill('SIGTERM')
  }
}

async function enclaveRun(): Promise<{ oneWay: ReturnType<typeof summarize>; delivered: ReturnType<typeof summarize>; msgsPerSec: number; deliveredPerSec: number }> {
  const alice = await startNode(await makeDataDir('bench-alice'))
  const bob: NodeProcess = await startNode(await makeDataDir('bench-bob'), { peers: [alice.address] })
  try {
    const arrived = new Map<string, bigint>()
    const deliveredAt = new Map<string, bigint>()
    let arrivedCount = 0
    let deliveredCount = 0
    const { wake, until } = eventWaiter()
    bob.api.on('chat.messageAdded', (m: MessageView) => { arrived.set(m.id, process.hrtime.bigint()); arrivedCount++; wake() })
    alice.api.on('chat.messageUpdated', (m: MessageView) => {
      if (m.state === 'delivered') { deliveredAt.set(m.id, process.hrtime.bigint()); deliveredCount++; wake() }
    })

    const oneWay: number[] = []
    const delivered: number[] = []
    for (let i = 0; i < WARMUP + LATENCY_SAMPLES; i++) {
      const t0 = process.hrtime.bigint()
      const sent = await alice.api.call('chat.send', { peerId: bob.peerId, text: TEXT })
      await until(() => arrived.has(sent.id) && deliveredAt.has(sent.id))
      if (i >= WARMUP) {
        oneWay.push(Number((arrived.get(sent.id) ?? t0) - t0) / 1e6)
        delivered.push(Number((deliveredAt.get(sent.id) ?? t0) - t0) / 1e6)
      }
    }

    const startArrived = arrivedCount
    const startDelivered = deliveredCount
    const t0 = process.hrtime.bigint()
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
    const receivedSec = ms(t0) / 1000
    await until(() => deliveredCount - startDelivered >= THROUGHPUT_MESSAGES)
    const deliveredSec = ms(t0) / 1000
    return {
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

const raw = await rawBaseline()
const enclave = await enclaveRun()
const f = (n: number): string => `${n.toFixed(2)} ms`
const rate = (n: number): string => `${Math.round(n).toLocaleString('en-US')} msg/s`
const rows = [
  { metric: 'latency p50, send → recipient stored', enclave: f(enclave.oneWay.p50), baseline: `${f(raw.rtt.p50)} (raw RTT)`, target: '≤ 3 ms', met: enclave.oneWay.p50 <= 3 ? 'yes' : 'no' },
  { metric: 'latency p99, send → recipient stored', enclave: f(enclave.oneWay.p99), baseline: `${f(raw.rtt.p99)} (raw RTT)`, target: '≤ 10 ms', met: enclave.oneWay.p99 <= 10 ? 'yes' : 'no' },
  { metric: 'latency p50, send → delivered ack', enclave: f(enclave.delivered.p50), baseline: f(raw.rtt.p50), target: '—', met: '—' },
  { metric: 'latency p99, send → delivered ack', enclave: f(enclave.delivered.p99), baseline: f(raw.rtt.p99), target: '—', met: '—' },
  { metric: 'throughput, stored at recipient', enclave: rate(enclave.msgsPerSec), baseline: `${rate(raw.msgsPerSec)} (raw echo)`, target: '≥ 1,000 msg/s', met: enclave.msgsPerSec >= 1000 ? 'yes' : 'no' },
  { metric: 'throughput, acknowledged to sender', enclave: rate(enclave.deliveredPerSec), baseline: rate(raw.msgsPerSec), target: '—', met: '—' }
]
printTable(`Chat benchmark: ${LATENCY_SAMPLES} latency samples, ${THROUGHPUT_MESSAGES} messages of 100 B for throughput, ${WINDOW} in flight`, rows)
await writeResults('chat', {
  params: { latencySamples: LATENCY_SAMPLES, throughputMessages: THROUGHPUT_MESSAGES, window: WINDOW, textBytes: TEXT.length },
  enclave,
  rawLibp2p: raw,
  rows
})
