import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { frameReader, writeFrames } from '../net/frame-io.js'
import { ERROR_CODES, type ChannelSummary, type ErrorCode, type PeerIdString } from '../api/contract.js'
import { MAX_FRAME_BYTES, parseEnvelope } from './chat-frames.js'
import type { Envelope } from './envelope.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * Group housekeeping between two devices, one request and one reply per stream: a fresh key
 * package, a request to join an open channel, catch-up of a conversation's ciphertext, and the
 * open channels a member knows of. Nothing here is secret beyond what MLS already protects.
 */
export const GROUP_PROTOCOL = '/enclave/group/1.0.0'

/** Key packages one device may keep at a mailbox. */
export const MAX_DEPOSIT = 8

/** Envelopes per catch-up reply; the asker asks again while `more` is set. */
export const CATCHUP_PAGE = 2_000

const peer = z.string().min(1).max(128)
const conv = z.string().min(1).max(64)
const request = z.discriminatedUnion('t', [
  /** `for`: ask a mailbox for a key package another device left there. */
  z.object({ t: z.literal('kp'), for: peer.optional() }).strict(),
  /** Leave key packages at a mailbox, for colleagues who want to start a DM while this device is offline. */
  z.object({ t: z.literal('deposit'), kps: z.array(z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength < 4096)).min(1).max(MAX_DEPOSIT) }).strict(),
  z.object({ t: z.literal('join'), conv }).strict(),
  z.object({ t: z.literal('catchup'), conv, have: z.record(peer, z.number().int().min(0)) }).strict(),
  z.object({ t: z.literal('browse'), ws: z.string().min(1).max(200) }).strict()
])
export type GroupRequest = z.infer<typeof request>

const failure = z.object({ t: z.literal('error'), code: z.enum(ERROR_CODES), message: z.string().max(500) }).strict()
const replies = {
  kp: z.object({ t: z.literal('kp'), kp: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength < 4096) }).strict(),
  join: z.object({ t: z.literal('ok') }).strict(),
  deposit: z.object({ t: z.literal('ok') }).strict(),
  catchup: z.object({ t: z.literal('envs'), envs: z.array(z.unknown()).max(CATCHUP_PAGE), more: z.boolean() }).strict(),
  browse: z.object({
    t: z.literal('channels'),
    channels: z.array(z.object({ id: conv, workspaceId: z.string().max(200), name: z.string().max(200), topic: z.string().max(500), memberCount: z.number().int().min(0) }).strict()).max(1000)
  }).strict()
}

export interface GroupHandlers {
  /** This device's fresh key package, or (`device` set, at a mailbox) one that device deposited. */
  keyPackage(from: PeerIdString, device?: PeerIdString): Promise<Uint8Array>
  deposit(from: PeerIdString, kps: Uint8Array[]): Promise<void>
  join(from: PeerIdString, conv: string): Promise<void>
  catchup(from: PeerIdString, conv: string, have: Record<string, number>): Promise<{ envs: Envelope[]; more: boolean }>
  browse(from: PeerIdString, ws: string): ChannelSummary[]
}

/** Serves one request; a refusal travels back as a coded error, and the node serves on. */
export async function serveGroupStream(handlers: GroupHandlers, log: Logger, stream: Stream, connection: Connection): Promise<void> {
  const from = connection.remotePeer.toString() as PeerIdString
  try {
    const parsed = request.safeParse(await frameReader(stream, 4096).next())
    if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed group request')
    const req = parsed.data
    let reply: unknown
    try {
      if (req.t === 'kp') reply = { t: 'kp', kp: await handlers.keyPackage(from, req.for as PeerIdString | undefined) }
      else if (req.t === 'deposit') { await handlers.deposit(from, req.kps); reply = { t: 'ok' } }
      else if (req.t === 'join') { await handlers.join(from, req.conv); reply = { t: 'ok' } }
      else if (req.t === 'catchup') reply = { t: 'envs', ...await handlers.catchup(from, req.conv, req.have) }
      else reply = { t: 'channels', channels: handlers.browse(from, req.ws) }
    } catch (err) {
      const code: ErrorCode = err instanceof EnclaveError ? err.code : 'internal'
      reply = { t: 'error', code, message: errorMessage(err).slice(0, 500) }
    }
    await writeFrames(stream, [reply])
    await stream.close()
  } catch (err) {
    log.warn('group request refused', { peer: from, code: err instanceof EnclaveError ? err.code : 'internal', error: errorMessage(err) })
    stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
  }
}

/** Sends one request and reads its reply, turning a refusal into the same coded error. */
export async function askGroup<T extends keyof typeof replies>(stream: Stream, req: GroupRequest & { t: T }): Promise<z.infer<(typeof replies)[T]>> {
  try {
    await writeFrames(stream, [req])
    const raw = await frameReader(stream, MAX_FRAME_BYTES * 4).next()
    const refused = failure.safeParse(raw)
    if (refused.success) throw new EnclaveError(refused.data.code, refused.data.message)
    const parsed = replies[req.t].safeParse(raw)
    if (!parsed.success) throw new EnclaveError('bad-frame', `malformed ${req.t} reply`)
    return parsed.data as z.infer<(typeof replies)[T]>
  } finally {
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}

/** Catch-up envelopes, each checked like any frame. */
export function parseEnvelopes(raw: unknown[]): Envelope[] {
  return raw.map(parseEnvelope)
}
