import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { frameReader, writeFrames } from '../net/frame-io.js'
import { ERROR_CODES, type ErrorCode, type PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

export const DOCS_PROTOCOL = '/enclave/docs/1.0.0'
/** A whole board's state can travel in one sync reply (100k shapes ≈ 13 MB). */
export const MAX_DOC_FRAME = 48 * 1024 * 1024

const bytes = z.instanceof(Uint8Array)
const sealedFields = { doc: z.string().regex(/^doc:[0-9a-f]{32}$/), conv: z.string().min(1).max(200), epoch: z.number().int().nonnegative(), n: bytes.refine((b) => b.byteLength === 12), c: bytes }

/**
 * - `sync`: the sender's state vector; the reply (`diff`) carries what the sender lacks and the
 *   replier's own state vector, so the sender can send back what the replier lacks (`update`).
 * - `index`: the doc ids the sender has in the conversation; the reply has the replier's.
 * - `update`: a Yjs update; `awareness`: a y-protocols awareness update (cursors), never stored.
 * Every payload is sealed with the doc's key for `epoch` (docs/protocol.md, Docs).
 */
export const docRequest = z.discriminatedUnion('t', [
  // A conversation's doc ids both ways (`doc` is empty): how a member who just joined learns them.
  z.object({ t: z.literal('index'), ...sealedFields, doc: z.literal('') }).strict(),
  z.object({ t: z.literal('sync'), ...sealedFields }).strict(),
  z.object({ t: z.literal('update'), ...sealedFields }).strict(),
  z.object({ t: z.literal('awareness'), ...sealedFields }).strict()
])
export type DocRequest = z.infer<typeof docRequest>

/** A peer's request, checked: anything else is `bad-frame`. */
export function parseDocRequest(value: unknown): DocRequest {
  const parsed = docRequest.safeParse(value)
  if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed docs request')
  return parsed.data
}

const reply = z.union([
  z.object({ t: z.literal('diff'), epoch: z.number().int().nonnegative(), n: bytes, c: bytes }).strict(),
  z.object({ t: z.literal('index'), epoch: z.number().int().nonnegative(), n: bytes, c: bytes }).strict(),
  z.object({ t: z.literal('ok') }).strict(),
  z.object({ t: z.literal('error'), code: z.enum(ERROR_CODES), message: z.string().max(500) }).strict()
])
export type DocReply = z.infer<typeof reply>

export type DocRequestHandler = (from: PeerIdString, req: DocRequest) => Promise<DocReply>

/** Serves one request; a refusal travels back as a coded error and the node serves on. */
export async function serveDocStream(handle: DocRequestHandler, log: Logger, stream: Stream, connection: Connection): Promise<void> {
  const from = connection.remotePeer.toString() as PeerIdString
  try {
    const req = parseDocRequest(await frameReader(stream, MAX_DOC_FRAME).next())
    let answer: DocReply
    try {
      answer = await handle(from, req)
    } catch (err) {
      const code: ErrorCode = err instanceof EnclaveError ? err.code : 'internal'
      log.info('docs request refused', { peer: from, doc: req.doc, code, error: errorMessage(err) })
      answer = { t: 'error', code, message: errorMessage(err).slice(0, 500) }
    }
    await writeFrames(stream, [answer])
    await stream.close()
  } catch (err) {
    log.warn('docs stream refused', { peer: from, code: err instanceof EnclaveError ? err.code : 'internal', error: errorMessage(err) })
    stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
  }
}

/** Sends one request and reads its reply; a refusal becomes the same coded error here. */
export async function askDocs(stream: Stream, req: DocRequest): Promise<Exclude<DocReply, { t: 'error' }>> {
  try {
    await writeFrames(stream, [req])
    const parsed = reply.safeParse(await frameReader(stream, MAX_DOC_FRAME).next())
    if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed docs reply')
    if (parsed.data.t === 'error') throw new EnclaveError(parsed.data.code, parsed.data.message)
    return parsed.data
  } finally {
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}
