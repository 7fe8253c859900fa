import { decode as cborDecode, encode as cborEncode } from 'cborg'
import * as varint from 'uint8-varint'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { envelopeV1, type Envelope } from './envelope.js'

/** Protocol id of direct chat delivery. */
export const CHAT_PROTOCOL = '/enclave/chat/1.0.0'

/** Largest frame accepted, checked from the length prefix before the body is buffered. */
export const MAX_FRAME_BYTES = 64 * 1024

const msgFrame = z.object({ t: z.literal('msg'), env: z.unknown() }).strict()
const ackFrame = z.object({ t: z.literal('ack'), conv: z.string().max(64), seq: z.number().int().min(1) }).strict()

export type ChatFrame = { t: 'msg'; env: Envelope } | z.infer<typeof ackFrame>

/** Encodes one frame with its varint length prefix. */
export function encodeFrame(frame: ChatFrame): Uint8Array {
  const body = cborEncode(frame)
  const prefix = varint.encode(body.byteLength)
  const out = new Uint8Array(prefix.byteLength + body.byteLength)
  out.set(prefix, 0)
  out.set(body, prefix.byteLength)
  return out
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
  const msg = msgFrame.safeParse(raw)
  if (!msg.success) throw new EnclaveError('bad-frame', 'unknown or malformed frame')
  const v = (msg.data.env as { v?: unknown } | null)?.v
  if (v !== 1) throw new EnclaveError('unsupported-version', `envelope version ${String(v)} is not supported`)
  const env = envelopeV1.safeParse(msg.data.env)
  if (!env.success) throw new EnclaveError('bad-frame', `malformed envelope: ${env.error.issues[0]?.path.join('.') ?? ''} ${env.error.issues[0]?.message ?? ''}`)
  return { t: 'msg', env: env.data }
}
