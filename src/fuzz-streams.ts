import { streamPair } from '@libp2p/utils'
import { decode as cborDecode } from 'cborg'
import { readFrameBatches } from './net/frame-reader.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/*
 * For decoders reached only through a stream handler: bytes go in the way a peer's would, over
 * an in-memory libp2p stream pair, and the real handler answers. Slower than calling a parser
 * (a few hundred cases, not 100,000), but it checks what the node does with what the parser
 * refuses. Nothing here is used by the core.
 */

export interface ServerProbe {
  /** What the handler sent back, decoded (a refusal is `{ error: { code, message } }`). */
  frames: unknown[]
  /** The handler closed its end (`closed`) or aborted the stream (`reset`). */
  end: 'closed' | 'reset'
}

/** Largest answer frame the probe reads: more than any protocol sends. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024

/**
 * Writes `bytes` (length prefixes included, so they may lie) to `serve` as the peer `from`,
 * closes the writing end, and collects the answer. Throws when the handler throws instead of
 * answering on the stream, or has not finished within `limitMs` (a hang).
 */
export async function probeServer(serve: (stream: Stream, connection: Connection) => Promise<void>, from: PeerId, bytes: Uint8Array, limitMs = 5_000): Promise<ServerProbe> {
  const [asker, server] = await streamPair({ delay: 0 })
  // The handlers read only who is at the other end.
  const connection = { remotePeer: from } as unknown as Connection
  const served = serve(server, connection).then(async () => {
    // A handler may return with its writing end open (chat streams end when the sender closes):
    // closing it here is what lets the probe's read end.
    if (server.status === 'open') await server.close().catch(() => undefined)
  })
  const frames: unknown[] = []
  const reading = (async (): Promise<ServerProbe['end']> => {
    try {
      for await (const batch of readFrameBatches(asker, { maxFrameBytes: MAX_ANSWER_BYTES })) for (const body of batch) frames.push(cborDecode(body))
      return 'closed'
    } catch {
      return 'reset'
    }
  })()
  if (bytes.byteLength > 0 && !asker.send(bytes)) await asker.onDrain().catch(() => undefined)
  await asker.close().catch(() => undefined)
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the handler was still busy after ${limitMs} ms`)) }, limitMs) })
  try {
    const [, end] = await Promise.race([Promise.all([served, reading]), hang])
    return { frames, end }
  } finally {
    clearTimeout(timer)
    if (asker.status === 'open') asker.abort(new Error('probe done'))
  }
}

/**
 * The other direction: `ask` opens the exchange on a stream whose far end answers with `answer`
 * (length prefixes included) and closes. Resolves with what `ask` returned or threw; throws
 * only when `ask` has not settled within `limitMs` (a hang).
 */
export async function probeAsker<T>(ask: (stream: Stream) => Promise<T>, answer: Uint8Array, limitMs = 5_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  const [asker, server] = await streamPair({ delay: 0 })
  const asked = ask(asker).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))
  // The far end drains what the asker sends, or the asker could wait on a full buffer.
  const draining = (async () => { try { for await (const _chunk of server) { /* drained */ } } catch { /* reset by the asker */ } })()
  if (answer.byteLength > 0 && !server.send(answer)) await server.onDrain().catch(() => undefined)
  await server.close().catch(() => undefined)
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the asker was still waiting after ${limitMs} ms`)) }, limitMs) })
  try {
    return await Promise.race([asked, hang])
  } finally {
    clearTimeout(timer)
    if (server.status === 'open') server.abort(new Error('probe done'))
    await draining
  }
}
