import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import { EnclaveError } from '../errors.js'

export interface FrameReaderInit {
  /** Largest frame body accepted, judged from the length prefix. */
  maxFrameBytes: number
}

/**
 * Reads varint-length-prefixed frames from a libp2p stream and yields them in batches: every
 * frame that arrived in one chunk together, so callers can store and acknowledge them with one
 * write. Ends cleanly when the remote closes between frames; throws `too-large` for an
 * oversized prefix and `bad-frame` when the stream ends inside a frame.
 */
export async function * readFrameBatches(source: AsyncIterable<Uint8Array | { subarray(): Uint8Array; byteLength: number }>, init: FrameReaderInit): AsyncGenerator<Uint8Array[]> {
  const decoder = new LengthPrefixedDecoder({ maxDataLength: init.maxFrameBytes, maxBufferSize: init.maxFrameBytes + SLICE_BYTES + 16 })
  let pending = 0
  for await (const chunk of source) {
    pending += chunk.byteLength
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    const batch: Uint8Array[] = []
    try {
      // A slow reader can be handed everything the stream buffered as one chunk (megabytes);
      // feeding it in slices keeps the decoder's buffer at one frame plus one slice.
      for (let at = 0; at < bytes.byteLength; at += SLICE_BYTES) {
        for (const frame of decoder.decode(bytes.subarray(at, at + SLICE_BYTES))) {
          pending -= frame.byteLength + varint.encodingLength(frame.byteLength)
          batch.push(frame.subarray())
        }
      }
    } catch (err) {
      if (batch.length > 0) yield batch
      throw new EnclaveError('too-large', `frame larger than ${init.maxFrameBytes} bytes or bad length prefix`, { cause: err })
    }
    if (batch.length > 0) yield batch
  }
  if (pending !== 0) throw new EnclaveError('bad-frame', `stream ended inside a frame (${pending} bytes left over)`)
}

/** Bytes handed to the length-prefix decoder at a time. */
const SLICE_BYTES = 256 * 1024

/** Concatenates already-prefixed frames into one buffer so a burst costs one stream write. */
export function concatFrames(frames: Uint8Array[]): Uint8Array {
  if (frames.length === 1 && frames[0] !== undefined) return frames[0]
  let size = 0
  for (const f of frames) size += f.byteLength
  const out = new Uint8Array(size)
  let offset = 0
  for (const f of frames) {
    out.set(f, offset)
    offset += f.byteLength
  }
  return out
}
