import type { PeerIdString } from '../api/contract.js'

/** Distinct emoji on one message: a new one past this is dropped (its sender's client refuses first). */
export const MAX_REACTION_EMOJI = 50
/** Emoji one member may have on one message at once. */
export const MAX_REACTIONS_PER_MEMBER = 20
/** Edits kept per message (the newest): the text shown is always the newest's. */
export const MAX_EDITS_KEPT = 20

const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v')
/** One emoji as Unicode recommends it (skin tones, flags and ZWJ sequences included), nothing else. */
export function isEmoji(text: string): boolean {
  return text.length <= 32 && RGI_EMOJI.test(text)
}

/**
 * What members did to one message after it was sent, kept apart from the message so it can
 * arrive first (an edit before its message waits here) and so the message's own record keeps
 * only what its delivery writes. Every field merges the same whatever the order ops arrive in:
 * a reaction is the newest toggle of (emoji, member), the text the newest edit, a recall final.
 */
export interface Annotations {
  /** One entry per (emoji, member): the newest toggle, `on` or not (an old `on` arriving late must not undo a later `off`). */
  reactions: Array<{ emoji: string; by: PeerIdString; hlc: number; on: boolean }>
  /** The author's edits, oldest first (at most MAX_EDITS_KEPT). */
  edits: Array<{ hlc: number; text: string }>
  /** Recalled for everyone: content, edits and reactions are gone and stay gone. */
  recalled?: { by: PeerIdString; hlc: number }
  pin?: { on: boolean; by: PeerIdString; hlc: number }
  /** Replies in this message's thread (messages, not ops: each is counted once, when stored). */
  replies?: { count: number; lastHlc: number; repliers: PeerIdString[]; keys: string[] }
}

/** Reply keys a thread keeps for `chat.thread` (the count goes on past it). */
export const MAX_THREAD_KEYS = 1_000
/** Distinct repliers a thread's summary names. */
const SHOWN_REPLIERS = 3

/** Counts a reply (stored once, so counted once) into its thread's summary. */
export function noteReply(a: Annotations, reply: { by: PeerIdString; hlc: number; key: string }): void {
  const r = a.replies ?? { count: 0, lastHlc: 0, repliers: [], keys: [] }
  r.count += 1
  if (r.keys.length < MAX_THREAD_KEYS) r.keys.push(reply.key)
  if (reply.hlc >= r.lastHlc) {
    r.lastHlc = reply.hlc
    r.repliers = [reply.by, ...r.repliers.filter((p) => p !== reply.by)].slice(0, SHOWN_REPLIERS)
  }
  a.replies = r
}

/** One change to a message, already checked as allowed (`annotation-log.ts`). */
export type AnnotationOp =
  | { type: 'react'; by: PeerIdString; hlc: number; emoji: string; on: boolean }
  | { type: 'edit'; by: PeerIdString; hlc: number; text: string }
  | { type: 'recall'; by: PeerIdString; hlc: number }
  | { type: 'pin'; by: PeerIdString; hlc: number; on: boolean }

export function emptyAnnotations(): Annotations {
  return { reactions: [], edits: [] }
}

/** Is (hlc, by) later than (hlc2, by2)? Ties on the clock (two devices) go to the greater device id. */
function later(hlc: number, by: string, hlc2: number, by2: string): boolean {
  return hlc !== hlc2 ? hlc > hlc2 : by > by2
}

/**
 * Applies one op; returns what it changed (`null`: nothing, e.g. an op older than what is kept,
 * or anything but a recall on a recalled message).
 */
export function applyOp(a: Annotations, op: AnnotationOp): 'reactions' | 'edit' | 'recall' | 'pin' | null {
  if (op.type === 'recall') {
    if (a.recalled !== undefined && !later(a.recalled.hlc, a.recalled.by, op.hlc, op.by)) return null
    const first = a.recalled === undefined
    a.recalled = { by: op.by, hlc: op.hlc }
    a.reactions = []
    a.edits = []
    delete a.pin
    return first ? 'recall' : null
  }
  if (a.recalled !== undefined) return null
  if (op.type === 'edit') {
    if (a.edits.some((e) => e.hlc === op.hlc)) return null
    const at = a.edits.findIndex((e) => e.hlc > op.hlc)
    if (at === -1) a.edits.push({ hlc: op.hlc, text: op.text })
    else a.edits.splice(at, 0, { hlc: op.hlc, text: op.text })
    if (a.edits.length > MAX_EDITS_KEPT) a.edits.splice(0, a.edits.length - MAX_EDITS_KEPT)
    return at === -1 ? 'edit' : null
  }
  if (op.type === 'pin') {
    if (a.pin !== undefined && !later(op.hlc, op.by, a.pin.hlc, a.pin.by)) return null
    const was = a.pin?.on === true
    a.pin = { on: op.on, by: op.by, hlc: op.hlc }
    return was !== op.on ? 'pin' : null
  }
  const entry = a.reactions.find((r) => r.emoji === op.emoji && r.by === op.by)
  if (entry !== undefined) {
    // One member's toggles of one emoji: their device's clock orders them.
    if (op.hlc <= entry.hlc) return null
    const was = entry.on
    entry.hlc = op.hlc
    entry.on = op.on
    return was !== op.on ? 'reactions' : null
  }
  if (!a.reactions.some((r) => r.emoji === op.emoji) && new Set(a.reactions.map((r) => r.emoji)).size >= MAX_REACTION_EMOJI) return null
  // Entries that are `off` count too (they are kept to order toggles), so a member cannot grow the list by toggling new emoji.
  if (a.reactions.filter((r) => r.by === op.by).length >= MAX_REACTIONS_PER_MEMBER * 2) return null
  a.reactions.push({ emoji: op.emoji, by: op.by, hlc: op.hlc, on: op.on })
  return op.on ? 'reactions' : null
}

/** A reaction as shown: the emoji and who has it on, in the order they reacted. */
export interface ReactionSummary {
  emoji: string
  by: PeerIdString[]
}

/** Reactions on, grouped by emoji, emoji in the order of their first reaction. */
export function reactionsOf(a: Annotations): ReactionSummary[] {
  const on = a.reactions.filter((r) => r.on).sort((x, y) => x.hlc - y.hlc)
  const byEmoji = new Map<string, PeerIdString[]>()
  for (const r of on) byEmoji.set(r.emoji, [...byEmoji.get(r.emoji) ?? [], r.by])
  return [...byEmoji].map(([emoji, by]) => ({ emoji, by }))
}

/** How many emoji `by` has on now: the sender's check before reacting again. */
export function reactionsBy(a: Annotations, by: PeerIdString): number {
  return a.reactions.filter((r) => r.on && r.by === by).length
}
