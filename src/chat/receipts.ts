import type { DeliveryState, MessageDelivery, PeerIdString, RecipientView } from '../api/contract.js'

/**
 * Who a message of this device's was sent to, and which of them acknowledged storing it: the
 * part of a stored message (message-log.ts) that delivery state is derived from. Kept in the
 * message's own sealed record, so it survives restarts with it and needs no key of its own.
 *
 * Compact on disk: the devices once, and beside each a number: 0 still waiting, −1 its copy
 * expired undelivered, otherwise when its acknowledgement arrived (epoch ms, this device's clock).
 */
export interface Receipts {
  to: PeerIdString[]
  at: number[]
  /** A mailbox acknowledged a copy for those away: the message is safe, not yet with them. */
  boxed?: boolean
}

export const WAITING = 0
export const GAVE_UP = -1
/** Devices named in a view's `waiting` list: enough for "waiting for Dave, Erin and 3 others". */
export const WAITING_NAMED = 3

/** Every recipient waiting. `to` may name this device or repeat one: each other device counts once. */
export function newReceipts(to: readonly PeerIdString[], self: PeerIdString): Receipts {
  const devices = [...new Set(to)].filter((d) => d !== self)
  return { to: devices, at: devices.map(() => WAITING) }
}

/**
 * Notes that `peer` acknowledged storing the message at `ms` (epoch ms). Only a device the
 * message was sent to counts, once: a repeated ack, or one from any other device, changes
 * nothing. True if something changed.
 */
export function noteAck(r: Receipts, peer: PeerIdString, ms: number): boolean {
  const i = r.to.indexOf(peer)
  const now = r.at[i]
  if (now === undefined || now > 0) return false
  r.at[i] = Math.max(1, Math.round(ms))
  return true
}

/** Notes that the copy for `peer` expired undelivered (an ack already in wins). */
export function noteGaveUp(r: Receipts, peer: PeerIdString): boolean {
  const i = r.to.indexOf(peer)
  if (r.at[i] !== WAITING) return false
  r.at[i] = GAVE_UP
  return true
}

/** Recipients without an ack, to queue again on retry (those still in the conversation). */
export function unacknowledged(r: Receipts, members: readonly PeerIdString[]): PeerIdString[] {
  const current = new Set(members)
  return r.to.filter((d, i) => (r.at[i] ?? WAITING) <= 0 && current.has(d))
}

/** Puts every recipient that gave up back to waiting (a retry). */
export function rewait(r: Receipts): void {
  r.at = r.at.map((t) => (t === GAVE_UP ? WAITING : t))
}

/**
 * The recipients that count now: every device that stored it, and those still waiting only
 * while they are in the conversation (a device removed before it got the message is owed
 * nothing). `members`: the conversation's devices now.
 */
export function counted(r: Receipts, members: readonly PeerIdString[]): Array<{ device: PeerIdString; at: number }> {
  const current = new Set(members)
  const out: Array<{ device: PeerIdString; at: number }> = []
  r.to.forEach((device, i) => {
    const at = r.at[i] ?? WAITING
    if (at > 0 || current.has(device)) out.push({ device, at })
  })
  return out
}

/** The summary a message view carries. */
export function summarise(r: Receipts, members: readonly PeerIdString[]): MessageDelivery {
  const list = counted(r, members)
  const behind = list.filter((c) => c.at <= 0)
  return {
    to: list.length - behind.length,
    of: list.length,
    waiting: behind.slice(0, WAITING_NAMED).map((c) => c.device),
    failed: behind.filter((c) => c.at === GAVE_UP).length,
    mailbox: r.boxed === true
  }
}

/**
 * The message's state from its receipts: delivered once every counted recipient stored it,
 * failed when a copy expired undelivered, sent once a member or a mailbox holds it, else pending.
 */
export function stateOf(summary: MessageDelivery): DeliveryState {
  if (summary.to === summary.of) return 'delivered'
  if (summary.failed > 0) return 'failed'
  return summary.to > 0 || summary.mailbox ? 'sent' : 'pending'
}

/** Each counted recipient with its state, for `chat.messageInfo`. */
export function recipientsOf(r: Receipts, members: readonly PeerIdString[]): RecipientView[] {
  return counted(r, members).map(({ device, at }) => at > 0
    ? { device, state: 'delivered', at }
    : { device, state: at === GAVE_UP ? 'failed' : 'waiting', at: null })
}
