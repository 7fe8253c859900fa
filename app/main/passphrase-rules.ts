import type { PassphraseRequest } from './desktop-store-key.js'

/** The prompt page's one message to main (app/preload/passphrase-preload.cts repeats it: a sandboxed preload cannot import). */
export const PASSPHRASE_CHANNEL = 'enclave:passphrase'
/** Characters (code points) of a new passphrase, at least: it is all that protects the store. */
export const PASSPHRASE_MIN_LENGTH = 12
const MAX_LENGTH = 1024

/**
 * Main's own check of what the prompt page submitted (the page checks first, for its messages):
 * a string, not absurdly long, and for a new store at least PASSPHRASE_MIN_LENGTH characters.
 * Returns the passphrase, or null to ignore the submission.
 */
export function acceptPassphrase(request: Pick<PassphraseRequest, 'mode'>, value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return null
  let length = 0
  for (const _codePoint of value) length++
  if (length === 0 || (request.mode === 'create' && length < PASSPHRASE_MIN_LENGTH)) return null
  return value
}
