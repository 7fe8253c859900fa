import { z } from 'zod'
import { MAX_SEALED_VALUE_BYTES } from '../identity/sealed-fields.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * Values the membership log names only by commitment (members' phones and emails, invites'
 * secret hashes), fetched by commitment from members who hold them; served to active members
 * who are not guests. Everyone else, guests included, gets the one stranger refusal.
 */
export const SEALED_PROTOCOL = '/enclave/sealed/1.0.0'

/** Commitments one request names. */
export const MAX_SEALED_WANT = 64
const MAX_REQUEST_BYTES = 8 * 1024
const MAX_REPLY_BYTES = MAX_SEALED_WANT * (MAX_SEALED_VALUE_BYTES + 8) + 64

const HASH = z.string().regex(/^[0-9a-f]{64}$/)
const request = parseWith(z.object({ ws: z.string().max(40), want: z.array(HASH).min(1).max(MAX_SEALED_WANT) }).strict(), 'sealed values request')
const reply = parseWith(z.object({ values: z.array(z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength <= MAX_SEALED_VALUE_BYTES)).max(MAX_SEALED_WANT) }).strict(), 'sealed values answer')

export interface SealedServerComponents {
  log: Logger
  /**
   * The values of `want` this device holds for `from` in workspace `ws` (encoded, as sealed);
   * throws the stranger refusal when `from` is not an active member there, or is a guest.
   */
  lookup(from: PeerIdString, ws: string, want: readonly string[]): Uint8Array[]
}

export function serveSealed(stream: Stream, connection: Connection, components: SealedServerComponents): Promise<void> {
  return serveRequest(stream, connection, {
    log: components.log,
    name: 'sealed values',
    maxRequestBytes: MAX_REQUEST_BYTES,
    parse: request,
    handle: (from, req) => Promise.resolve([{ values: components.lookup(from, req.ws, req.want) }])
  })
}

/** The values a member sent; the caller checks each against the commitments it asked for. */
export async function requestSealed(stream: Stream, ws: string, want: readonly string[]): Promise<Uint8Array[]> {
  return (await askOnce(stream, { ws, want }, { maxReplyBytes: MAX_REPLY_BYTES, parse: reply })).values
}

/** The decoders of this protocol's frames, for the fuzz tests. */
export const sealedDecoders = { request, reply }
