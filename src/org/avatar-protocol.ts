import { z } from 'zod'
import { MAX_AVATAR_BYTES } from '../limits.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/** Members' pictures, fetched by hash from members who have them; served to members only. */
export const AVATAR_PROTOCOL = '/enclave/avatar/1.0.0'

const MAX_REQUEST_BYTES = 256
/** The picture and the CBOR around it. */
const MAX_REPLY_BYTES = MAX_AVATAR_BYTES + 64

const HASH = z.string().regex(/^[0-9a-f]{64}$/)
const request = parseWith(z.object({ ws: z.string().max(40), sha256: HASH }).strict(), 'avatar request')
const reply = parseWith(z.object({ bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength <= MAX_AVATAR_BYTES) }).strict(), 'avatar answer')

export interface AvatarServerComponents {
  log: Logger
  /**
   * The picture `sha256` of workspace `ws` for `from`; throws `not-member` when `from` is not an
   * active member there, `not-found` when no member's profile there names it or it is not here.
   */
  lookup(from: PeerIdString, ws: string, sha256: string): Promise<Uint8Array>
}

export function serveAvatar(stream: Stream, connection: Connection, components: AvatarServerComponents): Promise<void> {
  return serveRequest(stream, connection, {
    log: components.log,
    name: 'avatar',
    maxRequestBytes: MAX_REQUEST_BYTES,
    parse: request,
    // Members ask whoever is connected; not having a picture yet is ordinary.
    quiet: ['not-found'],
    handle: async (from, req) => [{ bytes: await components.lookup(from, req.ws, req.sha256) }]
  })
}

/** The picture's bytes as the member sent them; the caller checks them against the hash. */
export async function requestAvatar(stream: Stream, ws: string, sha256: string): Promise<Uint8Array> {
  return (await askOnce(stream, { ws, sha256 }, { maxReplyBytes: MAX_REPLY_BYTES, parse: reply })).bytes
}
