import { decode as cborDecode, encode as cborEncode } from 'cborg'
import * as varint from 'uint8-varint'
import { EnclaveError } from '../errors.js'
import { concatFrames, readFrameBatches } from './frame-reader.js'
import type { Stream } from '@libp2p/interface'

/** One CBOR value as a length-prefixed frame. */
export function cborFrame(value: unknown): Uint8Array {
  const body = cborEncode(value)
  return concatFrames([varint.encode(body.byteLength), body])
}

/** Bytes per stream write: enough to batch small frames, small enough for backpressure to bite. */
const WRITE_BYTES = 256 * 1024

/** Writes frames in bounded writes, waiting whenever the stream's buffer is full. */
export async function writeFrames(stream: Stream, values: unknown[]): Promise<void> {
  let group: Uint8Array[] = []
  let size = 0
  const flush = async (): Promise<void> => {
    if (group.length === 0) return
    const bytes = concatFrames(group)
    group = []
    size = 0
    if (!stream.send(bytes)) await stream.onDrain()
  }
  for (const value of values) {
    const frame = cborFrame(value)
    group.push(frame)
    size += frame.byteLength
    if (size >= WRITE_BYTES) await flush()
  }
  await flush()
}

/**
 * Reads a request/response protocol's frames one CBOR value at a time. `next()` resolves to
 * the next decoded value, or throws `bad-frame` if the stream ends first. `close()` stops
 * reading: the frames' budget is given back and nothing more is taken from the stream.
 */
export function frameReader(stream: Stream, maxFrameBytes: number): { next(): Promise<unknown>; close(): void } {
  const batches = readFrameBatches(stream, { maxFrameBytes })
  const queue: Uint8Array[] = []
  return {
    next: async () => {
      while (queue.length === 0) {
        const batch = await batches.next()
        if (batch.done === true) throw new EnclaveError('bad-frame', 'stream ended before the expected frame')
        queue.push(...batch.value)
      }
      const body = queue.shift()
      if (body === undefined) throw new EnclaveError('bad-frame', 'empty frame')
      try {
        return cborDecode(body) as unknown
      } catch (err) {
        throw new EnclaveError('bad-frame', 'frame is not valid CBOR', { cause: err })
      }
    },
    close: () => {
      queue.length = 0
      // Never awaited: a read still waiting for bytes would hold it up; the generator ends after it.
      batches.return(undefined).catch(() => undefined)
    }
  }
}
