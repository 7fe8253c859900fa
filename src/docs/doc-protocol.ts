import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { idSchema, parseConversationId, parseDocId } from '../ids.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

export const DOCS_PROTOCOL = '/enclave/docs/2.0.0'
/** A whole board's state can travel in one sync reply (100k shapes ≈ 13 MB). */
export const MAX_DOC_FRAME = 48 * 1024 * 1024
/**
 * Largest request from a member with whom this device shares no conversation holding a doc: an
 * index, a state vector, a cursor or an edit fit; whole boards come only from a doc's own members.
 */
export const MAX_SMALL_DOC_FRAME = 1024 * 1024

const bytes = z.instanceof(Uint8Array)
const sealedFields = { doc: idSchema(parseDocId), conv: idSchema(parseConversationId), epoch: z.number().int().nonnegative(), n: bytes.refine((b) => b.byteLength === 12), c: bytes }

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
  z.object({ t: z.literal('ok') }).strict()
])
export type DocReply = z.infer<typeof reply>

export type DocRequestHandler = (from: PeerIdString, req: DocRequest) => Promise<DocReply>

/**
 * Serves one request; a refusal travels back as a coded error and the node serves on. Frames
 * above `MAX_SMALL_DOC_FRAME` are read only from peers `maySendLarge` allows, judged from the
 * length prefix before the body is read.
 */
export function serveDocStream(handle: DocRequestHandler, log: Logger, stream: Stream, connection: Connection, maySendLarge: (from: PeerIdString) => boolean): Promise<void> {
  return serveRequest(stream, connection, {
    log,
    name: 'docs',
    maxRequestBytes: (from) => (maySendLarge(from) ? MAX_DOC_FRAME : MAX_SMALL_DOC_FRAME),
    parse: parseDocRequest,
    handle: async (from, req) => [await handle(from, req)]
  })
}

const parseReply = parseWith(reply, 'docs reply')

/** Sends one request and reads its reply; a refusal becomes the same coded error here. */
export function askDocs(stream: Stream, req: DocRequest): Promise<DocReply> {
  return askOnce(stream, req, { maxReplyBytes: MAX_DOC_FRAME, parse: parseReply })
}
