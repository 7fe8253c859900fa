import { EnclaveError } from '../errors.js'
import { cborFrame } from './frame-io.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/** What every protocol tells a stranger, whatever the reason: this device's standing is nobody else's business. */
export const NOT_AVAILABLE = 'not available'

/**
 * Stranger refusals are sent this long after the stream opened or the request was read, so how
 * long a check took (a certificate verified, an invite looked up) does not tell whether this
 * device is in the workspace named or an admin there.
 */
export const REFUSAL_DELAY_MS = 50

/**
 * The one refusal a stranger gets on every protocol (`not-member`, "not available"), whether this
 * device is in no workspace named, is not an admin there, or does not know the invite.
 */
export function strangerRefusal(): EnclaveError {
  return new EnclaveError('not-member', NOT_AVAILABLE)
}

export function isStrangerRefusal(err: unknown): boolean {
  return err instanceof EnclaveError && err.code === 'not-member' && err.message === NOT_AVAILABLE
}

/**
 * Refuses a stream with the stranger refusal frame at `since + REFUSAL_DELAY_MS`, then resets it:
 * nothing more is read from a stranger, and a stranger that keeps writing only meets a reset.
 */
export async function refuseStream(stream: Stream, connection: Connection, log: Logger, since = Date.now()): Promise<void> {
  const err = strangerRefusal()
  log.debug('stream refused', { peer: connection.remotePeer.toString(), protocol: stream.protocol, code: err.code })
  // Whatever the stranger sends meanwhile is dropped, not buffered, and no more is asked for: a
  // paused yamux stream sends no window updates, so at most one initial window (256 KiB) comes
  // (closed for reading alone, it kept granting windows and a stranger pushed megabytes a stream).
  if (stream.readStatus === 'readable') stream.pause()
  await stream.closeRead().catch(() => undefined)
  // A timer may fire a millisecond before Date.now() says its time has come (libuv rounds).
  for (let wait = since + REFUSAL_DELAY_MS - Date.now(); wait > 0; wait = since + REFUSAL_DELAY_MS - Date.now()) {
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
  try {
    if (stream.writeStatus === 'writable' && !stream.send(cborFrame({ error: { code: err.code, message: err.message } }))) await stream.onDrain({ signal: AbortSignal.timeout(1_000) })
  } catch {
    // The stranger went away or stopped reading: the reset below is all it gets.
  }
  stream.abort(err)
}
