/**
 * The API's error codes and result shape: part of the contract (which re-exports them), kept
 * in a file of their own because they depend on nothing else.
 */
/** Every code an API error or a logged protocol error can carry. */
export const ERROR_CODES = [
  'bad-request',
  'unknown-method',
  'not-found',
  'peer-unreachable',
  'too-large',
  /** A per-author quota (e.g. membership ops per day) is used up; later it will pass. */
  'over-quota',
  'unauthorized',
  'unsupported-version',
  'bad-frame',
  'wrong-author',
  'wrong-conversation',
  'store-error',
  'store-too-new',
  'store-locked',
  /** A backup's passphrase is wrong. */
  'backup-locked',
  /** A file is not a whole, unchanged Enclave backup (truncated, altered, or something else). */
  'backup-damaged',
  /** Restored from a backup: this device may not write in a conversation until it has caught up. */
  'catching-up',
  'node-not-running',
  'invite-invalid',
  /** Joining a workspace this device is already in (with any invite). */
  'already-member',
  'not-member',
  'not-committer',
  'undecryptable',
  'rate-limited',
  /** The workspace's policy forbids it: its file rules (size, type, guests), its recall time limit. */
  'blocked-by-policy',
  /** A call already has as many devices in it as it may (a mesh of four). */
  'call-full',
  'internal'
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ApiError {
  code: ErrorCode
  message: string
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError }
