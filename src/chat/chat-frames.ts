import { decode as cborDecode, encode as cborEncode } from 'cborg'
import * as varint from 'uint8-varint'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { MAX_MLS_BYTES } from '../crypto/mls-group.js'
import { idSchema, parseConversationId, parseDeviceText } from '../ids.js'
import { MAX_CHANNEL_MEMBERS } from '../limits.js'
import { envelopeV3, type Envelope } from './envelope.js'
import type { PeerIdString } from '../api/contract.js'

/**
 * Protocol id of direct delivery (and mailbox deposits). Version 3: MLS ciphertext in envelopes
 * its author signed. Version 4: a receiver may answer an envelope it will not take with a coded
 * `refused` frame (a mailbox over quota), which a 3.0.0 sender could not read.
 */
export const CHAT_PROTOCOL = '/enclave/chat/4.0.0'

/** Largest frame accepted, checked from the length prefix before the body is buffered. */
export const MAX_FRAME_BYTES = MAX_MLS_BYTES + 64 * 1024

const peer = idSchema(parseDeviceText)
/** `for`: a deposit at a mailbox, to be handed to these devices. */
const msgFrame = z.object({ t: z.literal('msg'), env: z.unknown(), for: z.array(peer).max(MAX_CHANNEL_MEMBERS).optional() }).strict()
const ackFrame = z.object({ t: z.literal('ack'), conv: idSchema(parseConversationId), author: peer, seq: z.number().int().min(1) }).strict()

/**
 * The envelope was read and not stored, for now: the sender keeps it queued (for a deposit, its
 * direct copies to the recipients are queued anyway) and offers it again later, not on this
 * stream. `code` says why; `over-quota` (a mailbox's share for this depositor, or the mailbox,
 * is full) is the one sent today. Any other code, from a later version, is read the same way, so
 * adding one needs no new protocol version.
 */
const refusedFrame = z.object({ t: z.literal('refused'), conv: idSchema(parseConversationId), author: peer, seq: z.number().int().min(1), code: z.string().regex(/^[a-z-]{1,32}$/) }).strict()

export type ChatFrame = { t: 'msg'; env: Envelope; for?: PeerIdString[] } | z.infer<typeof ackFrame> | z.infer<typeof refusedFrame>

/** Encodes one frame with its varint length prefix. */
export function encodeFrame(frame: ChatFrame): Uint8Array {
  const body = cborEncode(frame.t === 'msg' && frame.for === undefined ? { t: 'msg', env: frame.env } : frame)
  const prefix = varint.encode(body.byteLength)
  const out = new Uint8Array(prefix.byteLength + body.byteLength)
  out.set(prefix, 0)
  out.set(body, prefix.byteLength)
  return out
}

/** Checks an envelope from anywhere (a frame, a catch-up reply); every failure is coded. */
export function parseEnvelope(raw: unknown): Envelope {
  const v = (raw as { v?: unknown } | null)?.v
  if (v !== 3) throw new EnclaveError('unsupported-version', `envelope version ${String(v)} is not supported`)
  const env = envelopeV3.safeParse(raw)
  if (!env.success) throw new EnclaveError('bad-frame', `malformed envelope: ${env.error.issues[0]?.path.join('.') ?? ''} ${env.error.issues[0]?.message ?? ''}`)
  return env.data
}

/** Decodes and validates one frame body; every failure is an EnclaveError with a code. */
export function decodeFrame(body: Uint8Array): ChatFrame {
  let raw: unknown
  try {
    raw = cborDecode(body)
  } catch (err) {
    throw new EnclaveError('bad-frame', 'frame is not valid CBOR', { cause: err })
  }
  const t = (raw as { t?: unknown } | null)?.t
  if (t === 'ack') {
    const ack = ackFrame.safeParse(raw)
    if (!ack.success) throw new EnclaveError('bad-frame', `malformed ack: ${ack.error.issues[0]?.message ?? ''}`)
    return ack.data
  }
  if (t === 'refused') {
    const refused = refusedFrame.safeParse(raw)
    if (!refused.success) throw new EnclaveError('bad-frame', `malformed refusal: ${refused.error.issues[0]?.message ?? ''}`)
    return refused.data
  }
  const msg = msgFrame.safeParse(raw)
  if (!msg.success) throw new EnclaveError('bad-frame', 'unknown or malformed frame')
  const env = parseEnvelope(msg.data.env)
  return msg.data.for === undefined ? { t: 'msg', env } : { t: 'msg', env, for: msg.data.for }
}
