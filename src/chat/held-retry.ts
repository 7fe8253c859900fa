import { errorMessage } from '../errors.js'
import type { ConversationId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { ConversationRecord } from './message-log.js'

/** Tries of a DM's held messages (sending.ts `flushHeld`): now, and on a timer until they go. */
export interface HeldRetry {
  /** Tries a DM's held messages now (a route or a connection came); on failure, on the timer. */
  tryHeld(record: ConversationRecord): void
  stop(): void
}

/**
 * A DM held until its group is set up is also tried on a timer (2 s, doubling to a minute): a
 * connection that opened and dropped at once (a relayed path settling) brings no second
 * `peer:ready`, and the held messages would wait for the next connection, however late.
 */
export function createHeldRetry(flushHeld: (record: ConversationRecord) => Promise<void>, log: Logger): HeldRetry {
  const heldRetries = new Map<ConversationId, NodeJS.Timeout>()
  /**
   * Conversations with a try of their held messages under way, and whether news came meanwhile
   * (a route or a connection the try may have missed): then one more follows it, not one per news.
   */
  const heldTries = new Map<ConversationId, { again: boolean }>()
  let stopped = false
  function tryHeld(record: ConversationRecord): void {
    const running = heldTries.get(record.id)
    if (running !== undefined) { running.again = true; return }
    const attempt = { again: false }
    heldTries.set(record.id, attempt)
    clearTimeout(heldRetries.get(record.id))
    heldRetries.delete(record.id)
    flushHeld(record).then(() => true, (err: unknown) => {
      log.debug('DM group not set up yet; holding the message', { peer: record.peerId, error: errorMessage(err) })
      return false
    }).then((sent) => {
      heldTries.delete(record.id)
      if (sent || stopped) return
      if (attempt.again) tryHeld(record)
      else retryHeld(record)
    }).catch(() => undefined)
  }
  function retryHeld(record: ConversationRecord, delayMs = 2000): void {
    if (heldRetries.has(record.id)) return
    heldRetries.set(record.id, setTimeout(() => {
      heldRetries.delete(record.id)
      if (record.heldKeys.length === 0) return
      flushHeld(record).catch((err: unknown) => {
        log.debug('held messages wait longer', { peer: record.peerId, error: errorMessage(err), nextMs: Math.min(delayMs * 2, 60_000) })
        retryHeld(record, Math.min(delayMs * 2, 60_000))
      })
    }, delayMs).unref())
  }
  return {
    tryHeld,
    stop: () => {
      stopped = true
      for (const timer of heldRetries.values()) clearTimeout(timer)
      heldRetries.clear()
    }
  }
}
