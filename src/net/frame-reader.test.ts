import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import * as varint from 'uint8-varint'
import { EnclaveError } from '../errors.js'
import { concatFrames, readFrameBatches } from './frame-reader.js'
import { createNetNode, type NetNode } from './libp2p-node.js'
import type { ByteBudget } from './inbound-budget.js'
import type { Stream } from '@libp2p/interface'

function frame(bytes: number[]): Uint8Array {
  return concatFrames([varint.encode(bytes.length), Uint8Array.from(bytes)])
}

function chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  return (async function * () { for (const p of parts) yield await Promise.resolve(p) })()
}

async function collect(source: AsyncIterable<Uint8Array>, max = 100): Promise<number[][]> {
  const out: number[][] = []
  for await (const batch of readFrameBatches(source, { maxFrameBytes: max })) out.push(batch.map((b) => b.byteLength))
  return out
}

test('yields the frames of one chunk as one batch and joins frames split across chunks', async () => {
  const all = concatFrames([frame([1]), frame([2, 2]), frame([3, 3, 3])])
  assert.deepEqual(await collect(chunks(all)), [[1, 2, 3]])
  assert.deepEqual(await collect(chunks(all.subarray(0, 4), all.subarray(4))), [[1], [2, 3]])
})

test('a stream that ends inside a frame is bad-frame', async () => {
  const f = frame([1, 2, 3, 4])
  await assert.rejects(collect(chunks(f.subarray(0, 3))), (e) => e instanceof EnclaveError && e.code === 'bad-frame')
})

test('a length prefix above the limit is too-large before the body arrives', async () => {
  await assert.rejects(collect(chunks(varint.encode(1_000_000)), 1000), (e) => e instanceof EnclaveError && e.code === 'too-large')
})

/** A budget that counts what is held, with room for `limit` bytes. */
function countingBudget(limit: number): ByteBudget & { held: number } {
  const budget = {
    held: 0,
    reserve: (n: number) => {
      if (budget.held + n > limit) return false
      budget.held += n
      return true
    },
    release: (n: number) => { budget.held -= n }
  }
  return budget
}

test('a frame\'s whole declared length is reserved when its prefix arrives, before its body', async () => {
  const budget = countingBudget(1000)
  let release: () => void = () => undefined
  const gate = new Promise<void>((resolve) => { release = resolve })
  const source = (async function * () {
    yield concatFrames([varint.encode(800), Uint8Array.from([1, 2, 3])])
    await gate
  })()
  const reading = (async () => { for await (const batch of readFrameBatches(source, { maxFrameBytes: 10_000, budget })) assert.fail(`no frame expected, got ${batch.length}`) })()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(budget.held, 800, 'three bytes of body in, the whole frame held')
  release()
  await assert.rejects(reading, (e) => e instanceof EnclaveError && e.code === 'bad-frame')
  assert.equal(budget.held, 0, 'given back when the stream ended inside the frame')
})

test('a frame beyond the budget is too-large from its prefix alone', async () => {
  const budget = countingBudget(1000)
  await assert.rejects(collectWith(chunks(varint.encode(1001)), budget), (e) => e instanceof EnclaveError && e.code === 'too-large')
  assert.equal(budget.held, 0)
})

test('frames are held until the caller takes them, and given back when it stops reading', async () => {
  const budget = countingBudget(1000)
  const reader = readFrameBatches(chunks(concatFrames([frame([1, 2]), frame([3])]), frame([4, 4, 4, 4])), { maxFrameBytes: 100, budget })
  const sizes = async (): Promise<number[]> => {
    const next = await reader.next()
    return next.done === true ? [] : next.value.map((f) => f.byteLength)
  }
  assert.deepEqual(await sizes(), [2, 1])
  assert.equal(budget.held, 3)
  assert.deepEqual(await sizes(), [4])
  assert.equal(budget.held, 4, 'the first batch was taken when the second was asked for')
  await reader.return(undefined)
  assert.equal(budget.held, 0)
})

test('zero-length frames are skipped', async () => {
  assert.deepEqual(await collect(chunks(concatFrames([frame([]), frame([7]), frame([])]))), [[1]])
})

test('a slow reader pauses a libp2p stream: what a fast writer pushes waits at the writer, not at the reader', async () => {
  const [a, b] = await Promise.all([node(), node()])
  try {
    let inbound: Stream | undefined
    let firstBatch: () => void = () => undefined
    const holding = new Promise<void>((resolve) => { firstBatch = resolve })
    let done: () => void = () => undefined
    const finish = new Promise<void>((resolve) => { done = resolve })
    await b.handle('/test/slow/1', async (stream) => {
      inbound = stream
      for await (const batch of readFrameBatches(stream, { maxFrameBytes: 64 * 1024 })) {
        assert.ok(batch.length > 0)
        firstBatch()
        await finish
      }
    })
    const stream = await a.dialProtocol(b.getMultiaddrs(), '/test/slow/1')
    const body = new Uint8Array(16 * 1024)
    const one = concatFrames([varint.encode(body.byteLength), body])
    // libp2p buffers whatever its writer sends beyond the window; this writer sends 32 MiB at once.
    for (let sent = 0; sent < 32 * 1024 * 1024; sent += one.byteLength) stream.send(one)
    await holding
    await waitUntil(() => inbound?.readStatus === 'paused')
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.ok(stream.writeBufferLength > 16 * 1024 * 1024, 'most of it still waits at the writer')
    // One muxer window (1 MiB) at most is held back at the reader; its own queue is emptied into the frame being read.
    assert.ok((inbound?.readBufferLength ?? 0) <= 1024 * 1024, `the reader holds ${inbound?.readBufferLength} bytes`)
    done()
    stream.abort(new Error('enough'))
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
})

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function collectWith(source: AsyncIterable<Uint8Array>, budget: ByteBudget): Promise<number[][]> {
  const out: number[][] = []
  for await (const batch of readFrameBatches(source, { maxFrameBytes: 100_000, budget })) out.push(batch.map((b) => b.byteLength))
  return out
}

async function node(): Promise<NetNode> {
  return createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
}
