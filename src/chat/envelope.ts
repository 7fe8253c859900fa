import { z } from 'zod'

/** Longest text message, in UTF-16 code units (about 10 pages). */
export const MAX_TEXT_LENGTH = 16_000

/**
 * What travels for one message. Versioned: a peer that meets a `v` it does not know refuses
 * the frame with `unsupported-version` instead of guessing. Later versions carry MLS
 * ciphertext in place of `body`.
 */
export const envelopeV1 = z.object({
  v: z.literal(1),
  conv: z.string().max(64),
  author: z.string().max(128),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  hlc: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  body: z.object({ type: z.literal('text'), text: z.string().max(MAX_TEXT_LENGTH) })
}).strict()

export type Envelope = z.infer<typeof envelopeV1>
