import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { ERROR_CODES, type ApiError, type ErrorCode, type PeerIdString } from '../api/contract.js'
import { frameReader, writeFrames } from './frame-io.js'
import { grantOf } from './inbound-budget.js'
import { isStrangerRefusal, refuseStream } from './refuse-stream.js'
import { peerIdOf } from '../ids.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * The one request/reply mechanism of Enclave's libp2p protocols (group, docs, join, certificate,
 * membership). A stream carries one exchange: the asker's request frame, then the server's reply
 * frames (and, for membership sync, more frames both ways). Every frame is length-prefixed CBOR
 * (docs/protocol.md, Frames). A refusal is always the same frame, `{ error: { code, message } }`,
 * with a code from the API's list; the asker gets it back as the same coded error. A stranger
 * (no member here) gets one refusal whatever went wrong (`refuse-stream.ts`), and may send no
 * more than a few KiB.
 */
export interface Exchange {
  /** The peer's next frame. A refusal throws its coded error (asker only); the stream ending first throws `bad-frame`. */
  next(): Promise<unknown>
  /** The peer's next frame as bytes, not decoded (one the peer sent as a `RawFrame`). */
  nextRaw(): Promise<Uint8Array>
  /** Sends frames in bounded writes, waiting while the stream's buffer is full. */
  send(values: unknown[]): Promise<void>
}

/** Largest frame a stranger may send on a protocol open to anyone, unless the protocol says less or more. */
export const STRANGER_REQUEST_BYTES = 4096

/** Longest refusal message kept; the code is what programs act on. */
const MAX_MESSAGE = 300

const refusalFrame = z.object({ error: z.object({ code: z.string().max(40), message: z.string().max(1000) }).strict() }).strict()

/** The refusal frame for anything thrown: its code if it is coded, `internal` otherwise. */
export function refusal(err: unknown): { error: ApiError } {
  const code: ErrorCode = err instanceof EnclaveError ? err.code : 'internal'
  return { error: { code, message: errorMessage(err).slice(0, MAX_MESSAGE) } }
}

/** The coded error a refusal frame carries, or null when `raw` is any other frame. */
export function refusalError(raw: unknown): EnclaveError | null {
  const refused = refusalFrame.safeParse(raw)
  if (!refused.success) return null
  const code = (ERROR_CODES as readonly string[]).includes(refused.data.error.code) ? refused.data.error.code as ErrorCode : 'internal'
  return new EnclaveError(code, refused.data.error.message.slice(0, MAX_MESSAGE))
}

function exchangeOn(stream: Stream, maxFrameBytes: number, readsRefusals: boolean): Exchange & { close(): void } {
  const reader = frameReader(stream, maxFrameBytes)
  return {
    close: () => { reader.close() },
    next: async () => {
      const raw = await reader.next()
      const refused = readsRefusals ? refusalError(raw) : null
      if (refused !== null) throw refused
      return raw
    },
    nextRaw: () => reader.nextRaw(),
    send: (values) => writeFrames(stream, values)
  }
}

export interface ServeOptions<Req> {
  log: Logger
  /** The protocol's name in log lines (`group`, `join`, …). */
  name: string
  /**
   * Largest frame a member may send, judged from its length prefix before its body is read; a
   * function when it depends on who asks (a doc's members may send whole boards).
   */
  maxRequestBytes: number | ((from: PeerIdString) => number)
  /** Largest frame a stranger may send (protocols open to anyone). @default STRANGER_REQUEST_BYTES */
  strangerRequestBytes?: number
  /** Refusals a stranger is told as they are (a joiner holding a real invite); any other is the stranger refusal. */
  toStrangers?: readonly ErrorCode[]
  /** Checks the request frame; throws a coded error (`bad-frame`) for anything else. */
  parse(raw: unknown): Req
  /**
   * Answers a request with the frames to send back, or converses further through `exchange` and
   * returns the last frames. Throw a coded error to refuse: the asker receives the refusal frame.
   */
  handle(from: PeerIdString, request: Req, exchange: Exchange): Promise<unknown[]>
  /** Refusals with these codes are ordinary here (a stranger meeting a member) and logged at debug only. */
  quiet?: readonly ErrorCode[]
}

/** Serves one exchange on an inbound stream; whatever goes wrong is refused on this stream only. */
export async function serveRequest<Req>(stream: Stream, connection: Connection, options: ServeOptions<Req>): Promise<void> {
  const from = peerIdOf(connection.remotePeer)
  const stranger = grantOf(stream)?.standing === 'stranger'
  const limit = stranger ? options.strangerRequestBytes ?? STRANGER_REQUEST_BYTES : typeof options.maxRequestBytes === 'function' ? options.maxRequestBytes(from) : options.maxRequestBytes
  // Only an asker reads refusals. Read here, a request shaped like one would be refused with the
  // peer's own code and words, and logged as this node's failure (`internal` at warn).
  const exchange = exchangeOn(stream, limit, false)
  let readAt = Date.now()
  try {
    const raw = await exchange.next()
    readAt = Date.now()
    const request = options.parse(raw)
    const frames = await options.handle(from, request, exchange)
    // Nothing more is read: bytes the asker sends after its request are dropped, not buffered.
    exchange.close()
    await stream.closeRead()
    await exchange.send(frames)
    await stream.close()
  } catch (err) {
    exchange.close()
    const told = err instanceof EnclaveError && options.toStrangers?.includes(err.code) === true
    if (isStrangerRefusal(err) || (stranger && !told)) {
      options.log.debug(`${options.name} request refused`, { peer: from, code: 'not-member', error: errorMessage(err) })
      await refuseStream(stream, connection, options.log, readAt)
      return
    }
    const frame = refusal(err)
    const level = options.quiet?.includes(frame.error.code) === true ? 'debug' : frame.error.code === 'internal' ? 'warn' : 'info'
    options.log[level](`${options.name} request refused`, { peer: from, code: frame.error.code, error: frame.error.message })
    try {
      await stream.closeRead()
      await exchange.send([frame])
      await stream.close()
    } catch {
      // The peer went away or reset the stream: nothing more to tell it.
      stream.abort(err instanceof Error ? err : new Error(frame.error.message))
    }
  }
}

export interface AskOptions {
  /** Largest reply frame accepted, judged from its length prefix before its body is read. */
  maxReplyBytes: number
}

/**
 * Sends a request on a fresh outbound stream and converses through `run`, which reads the reply
 * (`exchange.next()`). The stream is closed when `run` ends, however it ends.
 */
export async function ask<T>(stream: Stream, request: unknown, options: AskOptions, run: (exchange: Exchange) => Promise<T>): Promise<T> {
  const exchange = exchangeOn(stream, options.maxReplyBytes, true)
  try {
    await exchange.send([request])
    return await run(exchange)
  } finally {
    exchange.close()
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}

/** One request, one reply frame, checked by `parse` (which throws `bad-frame` for anything else). */
export function askOnce<T>(stream: Stream, request: unknown, options: AskOptions & { parse(raw: unknown): T }): Promise<T> {
  return ask(stream, request, options, async (exchange) => options.parse(await exchange.next()))
}

/** A zod schema's parse with the protocol's coded error. */
export function parseWith<S extends z.ZodType>(schema: S, what: string): (raw: unknown) => z.infer<S> {
  return (raw) => {
    const parsed = schema.safeParse(raw)
    if (!parsed.success) throw new EnclaveError('bad-frame', `malformed ${what}`)
    return parsed.data
  }
}
