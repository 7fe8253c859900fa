import { z } from 'zod'
import { idSchema, parseConversationId, parsePeerId, parseWorkspaceId } from '../ids.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import type { ChannelSummary, ConversationId, PeerIdString, WorkspaceId } from '../api/contract.js'
import { MAX_FRAME_BYTES, parseEnvelope } from './chat-frames.js'
import type { Envelope } from './envelope.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * Group housekeeping between two devices, one request and one reply per stream: a fresh key
 * package, a request to join an open channel, catch-up of a conversation's ciphertext, the open
 * channels a member knows of, and news of what a member holds (heads). Nothing here is secret
 * beyond what MLS already protects. Version 3 added `heads`; version 4, catch-up's `since`.
 */
export const GROUP_PROTOCOL = '/enclave/group/4.0.0'

/** Key packages one device may keep at a mailbox. */
export const MAX_DEPOSIT = 8

/**
 * Largest request: a catch-up's `have` map in a 2,000-member channel (~60 bytes an author) is the
 * biggest. The group protocol is served to members only.
 */
const MAX_REQUEST_BYTES = 256 * 1024

/** Envelopes per catch-up reply; the asker asks again while `more` is set. */
export const CATCHUP_PAGE = 2_000

/** Conversations one `heads` request may tell of. */
export const MAX_HEADS_CONVERSATIONS = 64

const peer = z.string().min(1).max(128)
const conv = idSchema(parseConversationId)
const ws = idSchema(parseWorkspaceId)
const request = z.discriminatedUnion('t', [
  /** `for`: ask a mailbox for a key package another device left there. */
  z.object({ t: z.literal('kp'), for: idSchema(parsePeerId).optional() }).strict(),
  /** Leave key packages at a mailbox, for colleagues who want to start a DM while this device is offline. */
  z.object({ t: z.literal('deposit'), kps: z.array(z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength < 4096)).min(1).max(MAX_DEPOSIT) }).strict(),
  z.object({ t: z.literal('join'), conv }).strict(),
  /** `since`: the epoch the asker joined at; of each author's envelopes from before it, only the last comes. */
  z.object({ t: z.literal('catchup'), conv, have: z.record(peer, z.number().int().min(0)), since: z.number().int().min(0).optional() }).strict(),
  z.object({ t: z.literal('browse'), ws }).strict(),
  /** Per conversation, per author: the sender now holds every envelope up to this number. */
  z.object({ t: z.literal('heads'), convs: z.array(z.object({ conv, heads: z.record(peer, z.number().int().min(1)) }).strict()).min(1).max(MAX_HEADS_CONVERSATIONS) }).strict(),
  /** The asker's person is typing in this conversation now (typing.ts); nothing is kept. */
  z.object({ t: z.literal('typing'), conv }).strict()
])
export type GroupRequest = z.infer<typeof request>

const replies = {
  kp: z.object({ t: z.literal('kp'), kp: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength < 4096) }).strict(),
  join: z.object({ t: z.literal('ok') }).strict(),
  deposit: z.object({ t: z.literal('ok') }).strict(),
  heads: z.object({ t: z.literal('ok') }).strict(),
  typing: z.object({ t: z.literal('ok') }).strict(),
  catchup: z.object({ t: z.literal('envs'), envs: z.array(z.unknown()).max(CATCHUP_PAGE), more: z.boolean() }).strict(),
  browse: z.object({
    t: z.literal('channels'),
    channels: z.array(z.object({ id: conv, workspaceId: ws, name: z.string().max(200), topic: z.string().max(500), memberCount: z.number().int().min(0) }).strict()).max(1000)
  }).strict()
}

export interface GroupHandlers {
  /** This device's fresh key package, or (`device` set, at a mailbox) one that device deposited. */
  keyPackage(from: PeerIdString, device?: PeerIdString): Promise<Uint8Array>
  deposit(from: PeerIdString, kps: Uint8Array[]): Promise<void>
  join(from: PeerIdString, conv: ConversationId): Promise<void>
  catchup(from: PeerIdString, conv: ConversationId, have: Record<string, number>, since?: number): Promise<{ envs: Envelope[]; more: boolean }>
  browse(from: PeerIdString, ws: WorkspaceId): ChannelSummary[]
  /** A member tells what it holds now: heads this device lacks are fetched from it. */
  heads(from: PeerIdString, convs: Array<{ conv: ConversationId; heads: Record<string, number> }>): void
  /** A member is typing in a conversation both are in (a refusal for anyone else). */
  typing(from: PeerIdString, conv: ConversationId): void
}

/** Checks a group request from a peer; `bad-frame` for anything else. */
export const parseGroupRequest = parseWith(request, 'group request')

/** Checks the reply to a request of type `t`; `bad-frame` for anything else. */
export function groupReplyParser<T extends keyof typeof replies>(t: T): (raw: unknown) => z.infer<(typeof replies)[T]> {
  // zod cannot carry the key's type through `replies[t]`; the schema picked is the one for `t`.
  return parseWith(replies[t], `${t} reply`) as (raw: unknown) => z.infer<(typeof replies)[T]>
}

/** Serves one request; a refusal travels back as a coded error, and the node serves on. */
export function serveGroupStream(handlers: GroupHandlers, log: Logger, stream: Stream, connection: Connection): Promise<void> {
  return serveRequest(stream, connection, {
    log,
    name: 'group',
    maxRequestBytes: MAX_REQUEST_BYTES,
    parse: parseGroupRequest,
    handle: async (from, req) => {
      if (req.t === 'kp') return [{ t: 'kp', kp: await handlers.keyPackage(from, req.for) }]
      if (req.t === 'deposit') { await handlers.deposit(from, req.kps); return [{ t: 'ok' }] }
      if (req.t === 'join') { await handlers.join(from, req.conv); return [{ t: 'ok' }] }
      if (req.t === 'catchup') return [{ t: 'envs', ...await handlers.catchup(from, req.conv, req.have, req.since) }]
      if (req.t === 'heads') { handlers.heads(from, req.convs); return [{ t: 'ok' }] }
      if (req.t === 'typing') { handlers.typing(from, req.conv); return [{ t: 'ok' }] }
      return [{ t: 'channels', channels: handlers.browse(from, req.ws) }]
    }
  })
}

/** Sends one request and reads its reply; a refusal becomes the same coded error here. */
export function askGroup<T extends keyof typeof replies>(stream: Stream, req: GroupRequest & { t: T }): Promise<z.infer<(typeof replies)[T]>> {
  return askOnce(stream, req, { maxReplyBytes: MAX_FRAME_BYTES * 4, parse: groupReplyParser(req.t) })
}

/** Catch-up envelopes, each checked like any frame. */
export function parseEnvelopes(raw: unknown[]): Envelope[] {
  return raw.map(parseEnvelope)
}
