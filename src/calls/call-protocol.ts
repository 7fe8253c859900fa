import { z } from 'zod'
import { idSchema, parseCallId, parseConversationId, parseDeviceText } from '../ids.js'
import { MAX_CALL_PARTICIPANTS, MAX_SDP_CHARS } from '../limits.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

export const CALL_PROTOCOL = '/enclave/call/1.0.0'
const MAX_CANDIDATE_CHARS = 1024
const MAX_CALL_FRAME = MAX_SDP_CHARS + 4096

const call = idSchema(parseCallId)
const conv = idSchema(parseConversationId)
const peer = idSchema(parseDeviceText)

/**
 * What one device tells another about a call in a conversation both are in (docs/protocol.md,
 * Calls). The stream is Noise-authenticated as the sending device, and the receiver acts only on
 * members of the conversation's MLS group now; media keys come from that group, never from here.
 *
 * - `ring`: a call started (or is running) and the receiver is asked in; `participants` are in it.
 * - `join`: the sender is in the call now; `leave`: no longer. `decline`: it will not answer
 *   (`busy`: it is in another call).
 * - `sdp`, `ice`: WebRTC's offer, answer and candidates for the pair's own connection.
 * - `media`: the sender's microphone and camera, on or off.
 */
export const callRequest = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ring'), call, conv, video: z.boolean(), startedAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), participants: z.array(peer).max(MAX_CALL_PARTICIPANTS) }).strict(),
  z.object({ t: z.literal('join'), call, conv, video: z.boolean() }).strict(),
  z.object({ t: z.literal('leave'), call, conv }).strict(),
  z.object({ t: z.literal('decline'), call, conv, busy: z.boolean() }).strict(),
  z.object({ t: z.literal('sdp'), call, conv, kind: z.enum(['offer', 'answer']), sdp: z.string().min(1).max(MAX_SDP_CHARS) }).strict(),
  z.object({ t: z.literal('ice'), call, conv, candidate: z.string().max(MAX_CANDIDATE_CHARS), mid: z.string().max(64).nullable(), index: z.number().int().min(0).max(64).nullable() }).strict(),
  z.object({ t: z.literal('media'), call, conv, muted: z.boolean(), camera: z.boolean() }).strict()
])
export type CallRequest = z.infer<typeof callRequest>

const reply = z.object({ t: z.literal('ok') }).strict()

export type CallRequestHandler = (from: PeerIdString, req: CallRequest) => void

/** Serves one request; a refusal travels back as a coded error and the node serves on. */
export function serveCallStream(handle: CallRequestHandler, log: Logger, stream: Stream, connection: Connection): Promise<void> {
  return serveRequest<CallRequest>(stream, connection, {
    log,
    name: 'call',
    maxRequestBytes: MAX_CALL_FRAME,
    parse: parseWith(callRequest, 'call request'),
    handle: (from, req) => { handle(from, req); return Promise.resolve([{ t: 'ok' }]) },
    quiet: ['not-found']
  })
}

const parseReply = parseWith(reply, 'call reply')

/** Sends one request and reads its reply; a refusal becomes the same coded error here. */
export async function askCall(stream: Stream, req: CallRequest): Promise<void> {
  await askOnce(stream, req, { maxReplyBytes: 1024, parse: parseReply })
}
