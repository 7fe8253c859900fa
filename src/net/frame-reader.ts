import { Buffer } from 'node:buffer'
import { EnclaveError } from '../errors.js'
import { grantOf, type ByteBudget } from './inbound-budget.js'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'

export interface FrameReaderInit {
  /** Largest frame body accepted, judged from the length prefix. */
  maxFrameBytes: number
  /**
   * Reserved from before a frame's body is read: its whole declared length, given back once the
   * caller has taken the frame (asks for the next batch) or stops reading. A frame that does not
   * fit is `too-large`. @default the budget of the inbound stream's grant (none for outbound streams)
   */
  budget?: ByteBudget
}

type Chunk = Uint8Array | { subarray(): Uint8Array; byteLength: number }

/**
 * Reads varint-length-prefixed frames and yields them in batches: every frame that arrived in
 * one chunk together, so callers can store and acknowledge them with one write. Ends cleanly
 * when the remote closes between frames; throws `too-large` for a length prefix above the limit
 * or beyond the budget (before reading the body) and `bad-frame` when the stream ends inside a
 * frame. Zero-length frames are skipped. A libp2p stream is read with backpressure: it is paused
 * while more than `HIGH_WATER` bytes wait for the caller, so a slow caller holds at most that
 * plus the muxer's window, never what a fast sender would like to push.
 */
export async function * readFrameBatches(source: Stream | AsyncIterable<Chunk>, init: FrameReaderInit): AsyncGenerator<Uint8Array[], void, undefined> {
  const budget = init.budget ?? (isStream(source) ? grantOf(source)?.bytes : undefined)
  const decoder = new FrameDecoder(init.maxFrameBytes, budget)
  try {
    for await (const chunk of isStream(source) ? streamChunks(source) : source) {
      const { frames, error } = decoder.push(chunk instanceof Uint8Array ? chunk : chunk.subarray())
      if (frames.length > 0) {
        yield frames
        decoder.taken()
      }
      if (error !== undefined) throw error
    }
    decoder.end()
  } finally {
    decoder.dispose()
  }
}

/** Bytes a stream may have waiting for a slow reader before it is paused. */
const HIGH_WATER = 256 * 1024

function isStream(source: Stream | AsyncIterable<Chunk>): source is Stream {
  return 'readStatus' in source && typeof source.pause === 'function'
}

/**
 * A stream's chunks, read from its events rather than its async iterator: the iterator buffers
 * without limit while its reader is busy, and loses what is held back while the stream is paused
 * if the remote closes meanwhile.
 */
async function * streamChunks(stream: Stream): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = []
  let queued = 0
  /** Set by the stream's events, between awaits. */
  const state: { ended: boolean; failure?: unknown } = { ended: false }
  let wake: (() => void) | undefined
  const notify = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const onMessage = (evt: StreamMessageEvent): void => {
    // A list's pieces are queued as they are: joining them (`subarray()`) copied every byte once more.
    if (evt.data instanceof Uint8Array) queue.push(evt.data)
    else for (const piece of evt.data) queue.push(piece)
    queued += evt.data.byteLength
    if (queued >= HIGH_WATER && stream.readStatus === 'readable') stream.pause()
    notify()
  }
  const onEnd = (): void => { state.ended = true; notify() }
  const onClose = (evt: StreamCloseEvent): void => {
    if (evt.error !== undefined) state.failure ??= evt.error
    state.ended = true
    notify()
  }
  stream.addEventListener('message', onMessage)
  stream.addEventListener('end', onEnd)
  stream.addEventListener('close', onClose)
  try {
    for (;;) {
      const chunk = queue.shift()
      if (chunk !== undefined) {
        queued -= chunk.byteLength
        yield chunk
        continue
      }
      // Whatever arrived before a reset is still read: a refusal frame comes just before one.
      if (state.failure !== undefined) throw state.failure instanceof Error ? state.failure : new Error('stream reset')
      if (state.ended || stream.readableEnded) return
      if (stream.readStatus === 'paused') {
        // Resuming hands over what the stream held back at once (events fire inside resume()).
        stream.resume()
        continue
      }
      await new Promise<void>((resolve) => { wake = resolve })
    }
  } finally {
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('end', onEnd)
    stream.removeEventListener('close', onClose)
  }
}

/** Frames at least this big are gathered into buffers that are not zeroed first. */
const UNZEROED_FROM = 64 * 1024

function unzeroed(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n)
  return new Uint8Array(b.buffer, b.byteOffset, n)
}

/** Most bytes of a varint length prefix (a 64-bit value). */
const MAX_PREFIX = 10

/** Splits bytes into frames, reserving each frame's declared length before its body arrives. */
class FrameDecoder {
  /** Bytes not yet cut into frames, in order. */
  private parts: Uint8Array[] = []
  private buffered = 0
  /** Body length of the frame being read, once its prefix is in. */
  private need: number | undefined
  /** Reserved for frames handed out and not yet taken. */
  private handedOut = 0

  constructor (private readonly max: number, private readonly budget: ByteBudget | undefined) {}

  push (chunk: Uint8Array): { frames: Uint8Array[]; error?: EnclaveError } {
    const frames: Uint8Array[] = []
    if (chunk.byteLength === 0) return { frames }
    this.parts.push(chunk)
    this.buffered += chunk.byteLength
    try {
      for (;;) {
        if (this.need === undefined) {
          const prefix = this.prefix()
          if (prefix === undefined) break
          this.skip(prefix.bytes)
          if (prefix.value === 0) continue
          if (this.budget !== undefined && !this.budget.reserve(prefix.value)) {
            throw new EnclaveError('too-large', `a frame of ${prefix.value} bytes is more than this peer may have in flight now`)
          }
          this.need = prefix.value
        }
        if (this.buffered < this.need) break
        frames.push(this.take(this.need))
        this.handedOut += this.need
        this.need = undefined
      }
    } catch (err) {
      return { frames, error: err instanceof EnclaveError ? err : new EnclaveError('bad-frame', 'bad length prefix', { cause: err }) }
    }
    return { frames }
  }

  /** The caller took the frames handed out: their reservation is given back. */
  taken (): void {
    this.budget?.release(this.handedOut)
    this.handedOut = 0
  }

  end (): void {
    if (this.need !== undefined || this.buffered > 0) {
      throw new EnclaveError('bad-frame', `stream ended inside a frame (${this.buffered} bytes of ${this.need ?? 'a length prefix'} read)`)
    }
  }

  dispose (): void {
    this.budget?.release(this.handedOut + (this.need ?? 0))
    this.handedOut = 0
    this.need = undefined
    this.parts = []
    this.buffered = 0
  }

  /** The next length prefix, or undefined until all its bytes are in. Throws `too-large` as soon as it must exceed the limit. */
  private prefix (): { value: number; bytes: number } | undefined {
    let value = 0
    let read = 0
    for (const part of this.parts) {
      for (const byte of part) {
        value += (byte & 0x7f) * 2 ** (7 * read)
        read++
        if (value > this.max) throw new EnclaveError('too-large', `frame larger than ${this.max} bytes or bad length prefix`)
        if ((byte & 0x80) === 0) return { value, bytes: read }
        if (read === MAX_PREFIX) throw new EnclaveError('too-large', `frame larger than ${this.max} bytes or bad length prefix`)
      }
    }
    return undefined
  }

  private skip (n: number): void {
    let left = n
    while (left > 0) {
      const first = this.parts[0]
      if (first === undefined) return
      if (first.byteLength <= left) {
        this.parts.shift()
        left -= first.byteLength
      } else {
        this.parts[0] = first.subarray(left)
        left = 0
      }
    }
    this.buffered -= n
  }

  private take (n: number): Uint8Array {
    const first = this.parts[0]
    if (first !== undefined && first.byteLength >= n) {
      const frame = first.subarray(0, n)
      this.skip(n)
      return frame
    }
    // A big frame (a file chunk) is copied into memory that is not zeroed first: every byte is written next.
    const frame = n >= UNZEROED_FROM ? unzeroed(n) : new Uint8Array(n)
    let at = 0
    while (at < n) {
      const part = this.parts[0]
      if (part === undefined) break
      const use = Math.min(part.byteLength, n - at)
      frame.set(part.subarray(0, use), at)
      at += use
      if (use === part.byteLength) this.parts.shift()
      else this.parts[0] = part.subarray(use)
    }
    this.buffered -= n
    return frame
  }
}

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
