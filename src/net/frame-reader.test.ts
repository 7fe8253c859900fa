import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as varint from 'uint8-varint'
import { EnclaveError } from '../errors.js'
import { concatFrames, readFrameBatches } from './frame-reader.js'

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
