import type { ApiError, ErrorCode } from './api/contract.js'

/** An error with a stable code; the words for people live in the renderer. */
export class EnclaveError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'EnclaveError'
    this.code = code
  }

  toJSON(): ApiError {
    return { code: this.code, message: this.message }
  }
}

/** libp2p sometimes rejects with an Event rather than an Error: give everything a message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'object' && err !== null) {
    const type = (err as { type?: unknown }).type
    if (typeof type === 'string') return `event: ${type}`
  }
  return String(err)
}

/** Maps anything thrown to an API error; unknown failures become `internal`. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof EnclaveError) return err.toJSON()
  return { code: 'internal', message: errorMessage(err) }
}

export function assertNever(value: never): never {
  throw new EnclaveError('internal', `unexpected value ${JSON.stringify(value)}`)
}
