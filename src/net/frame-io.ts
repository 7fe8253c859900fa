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

/**
 * Bytes sent as one frame as they are, not as CBOR, and read back with `nextRaw()`: a file's
 * sealed chunk goes out without being copied into an encoding and comes in without being
 * copied out of one (two megabyte allocations per chunk on each side).
 */
export class RawFrame {
  constructor (readonly bytes: Uint8Array) {
    // Readers skip empty frames, so an empty one would shift every frame after it.
    if (bytes.byteLength === 0) throw new EnclaveError('internal', 'a raw frame is never empty')
  }
}

/** Bytes per stream write: enough to batch small frames, small enough for backpressure to bite. */
const WRITE_BYTES = 256 * 1024

/** Writes frames in bounded writes, waiting whenever the stream's buffer is full. */
export async function writeFrames(stream: Stream, values: unknown[]): Promise<void> {
  let group: Uint8Array[] = []
  let size = 0
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (!stream.send(bytes)) await stream.onDrain()
  }
  const flush = async (): Promise<void> => {
    if (group.length === 0) return
    const bytes = concatFrames(group)
    group = []
    size = 0
    await write(bytes)
  }
  for (const value of values) {
    if (value instanceof RawFrame) {
      // The prefix joins what is waiting; the body goes as it is, in its own write.
      group.push(varint.encode(value.bytes.byteLength))
      await flush()
      await write(value.bytes)
      continue
    }
    const frame = cborFrame(value)
    group.push(frame)
    size += frame.byteLength
    if (size >= WRITE_BYTES) await flush()
  }
  await flush()
}

export interface FrameReader {
  /** The next frame's CBOR value. */
  next(): Promise<unknown>
  /** The next frame's bytes as they came (a `RawFrame`). */
  nextRaw(): Promise<Uint8Array>
  close(): void
}

/**
 * Reads a request/response protocol's frames one at a time. `next()` resolves to the next
 * decoded value, or throws `bad-frame` if the stream ends first. `close()` stops reading: the
 * frames' budget is given back and nothing more is taken from the stream.
 */
export function frameReader(stream: Stream, maxFrameBytes: number): FrameReader {
  const batches = readFrameBatches(stream, { maxFrameBytes })
  const queue: Uint8Array[] = []
  const nextRaw = async (): Promise<Uint8Array> => {
    while (queue.length === 0) {
      const batch = await batches.next()
      if (batch.done === true) throw new EnclaveError('bad-frame', 'stream ended before the expected frame')
      queue.push(...batch.value)
    }
    const body = queue.shift()
    if (body === undefined) throw new EnclaveError('bad-frame', 'empty frame')
    return body
  }
  return {
    nextRaw,
    next: async () => {
      const body = await nextRaw()
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
