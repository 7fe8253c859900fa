import { decode as cborDecode } from 'cborg'
import { EnclaveError } from './errors.js'
import type { ErrorCode } from './api/contract.js'

/*
 * The one judgement of the decoder fuzz tests: an input either parses or is refused with one of
 * the codes the decoder promises. Any other exception (a TypeError from a field nobody checked,
 * a library's own error class) is a bug, reported with the input fast-check shrank it to.
 */

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ErrorCode }

function judged<T>(err: unknown, allowed: readonly ErrorCode[]): Outcome<T> {
  if (err instanceof EnclaveError && allowed.includes(err.code)) return { ok: false, code: err.code }
  const what = err instanceof EnclaveError ? `coded ${err.code}, not one of ${allowed.join(', ')}` : `uncoded ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`
  throw new Error(`decoder threw ${what}`, { cause: err })
}

export function outcomeOf<T>(decode: () => T, allowed: readonly ErrorCode[]): Outcome<T> {
  try {
    return { ok: true, value: decode() }
  } catch (err) {
    return judged(err, allowed)
  }
}

export async function outcomeOfAsync<T>(decode: () => Promise<T>, allowed: readonly ErrorCode[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await decode() }
  } catch (err) {
    return judged(err, allowed)
  }
}

/**
 * A frame body as the request/reply protocols read it (src/net/frame-io.ts decodes with cborg's
 * defaults and refuses anything that is not CBOR with `bad-frame`).
 */
export function frameValue(body: Uint8Array): unknown {
  try {
    return cborDecode(body)
  } catch (err) {
    throw new EnclaveError('bad-frame', 'frame is not valid CBOR', { cause: err })
  }
}

/** A string's length as every limit counts it (src/limits.ts): code points, as zod does. */
export { textLength } from './limits.js'
