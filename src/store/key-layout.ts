import { createHmac, hkdfSync } from 'node:crypto'
import { EnclaveError } from '../errors.js'
import type { CollectionName, RangeOptions } from './collections.js'

/**
 * How a segment of a logical key (what callers use) appears in the key on disk:
 * - `hash`: HMAC-SHA-256 (first 128 bits, hex) of every logical segment up to this one, under a
 *   key derived from the data key. Ids of people, conversations, workspaces, docs, content hashes.
 * - `clear`: kept as is. Only counters and constants (sequence numbers, epochs, kinds).
 * - `hour`: a message's order key (`hlc:author:seq`, hybrid-clock.ts): the hour it falls in,
 *   hashed, then the whole order key, hashed. A conversation's hour is one group on disk, so one
 *   hour reads as one range; inside it nothing sorts by time, and the caller sorts.
 */
export type SegmentKind = 'hash' | 'clear' | 'hour'

export interface KeyLayout {
  /** Separates the segments of a logical key; the last segment takes the rest of the key. */
  sep: string
  segments: readonly SegmentKind[]
}

const whole: KeyLayout = { sep: '', segments: ['hash'] }

/**
 * The one place that knows what each collection's keys hold. `null`: the keys are fixed names
 * (meta), kept clear so the schema version is readable before anything else.
 */
export const KEY_LAYOUTS: Record<CollectionName, KeyLayout | null> = {
  meta: null,
  peers: whole,
  conversations: whole,
  // `conv!order`
  messages: { sep: '!', segments: ['hash', 'hour'] },
  // `conv!author!seq`
  messageIndex: { sep: '!', segments: ['hash', 'hash', 'clear'] },
  // conversation id → the hours that hold its messages (message-log.ts)
  messageHours: whole,
  // `peer!counter`: the counter is the outbox's own, not a time (outbox.ts)
  outbox: { sep: '!', segments: ['hash', 'clear'] },
  workspaces: whole,
  // `ws!opId`
  membershipOps: { sep: '!', segments: ['hash', 'hash'] },
  // `conv!author!seq`
  ciphertexts: { sep: '!', segments: ['hash', 'hash', 'clear'] },
  // `conv!epoch!kind!author!seq`
  mlsInbox: { sep: '!', segments: ['hash', 'clear', 'clear', 'hash', 'clear'] },
  mlsGroups: whole,
  mlsKeyPackages: whole,
  mlsDeposits: whole,
  docs: whole,
  // `doc/u/seq`, `doc/s`
  docUpdates: { sep: '/', segments: ['hash', 'clear', 'clear'] },
  avatars: whole,
  // commitment (a salted hash) → a contact's or an invite's value (sealed-values.ts)
  sealedValues: whole,
  // mailbox: `conv!author!seq`, like the cipher log (mailbox-quota.ts)
  mailboxDeposits: { sep: '!', segments: ['hash', 'hash', 'clear'] },
  // peer → its signed route (member-routes.ts)
  routes: whole,
  // conversation → unsent text (drafts.ts)
  drafts: whole,
  // invite id → who it is for, on the device that made it (workspace-service.ts)
  inviteLabels: whole,
  // file message id → its transfer state (file-service.ts); the chunks are in the blob store
  files: whole,
  // a mailbox's files held for members away: root → deposit (mailbox-files.ts)
  fileDeposits: whole,
  // `conv!author!seq` of the message: its reactions, edits, recall and pin (annotation-log.ts)
  annotations: { sep: '!', segments: ['hash', 'hash', 'clear'] },
  // the search index (search/search-index.ts): document number (a counter) → sealed folded text
  searchDocs: { sep: '', segments: ['clear'] },
  // `token!segment!chunk`: a keyed hash of the word, bigram or facet, then counters
  searchPostings: { sep: '!', segments: ['hash', 'clear', 'clear'] },
  // message (`conv!author!seq`) → its document numbers, to forget it when recalled or edited
  searchRefs: whole,
  // the index's progress and recent searches
  searchState: whole,
  // doc → a hash of each part of its text as indexed (docs/doc-search.ts), so an edit re-indexes only what changed
  docSearch: whole
}

/** Hybrid clock ticks per hour (hybrid-clock.ts: 1,000 ticks a millisecond). */
const TICKS_PER_HOUR = 3_600_000 * 1000
/** Digits of the clock at the start of an order key (hybrid-clock.ts `orderKey`). */
const HLC_DIGITS = 17

/** The hour a message's order key falls in, or undefined if it does not start with a clock. */
export function hourOfOrder(order: string): number | undefined {
  const digits = order.slice(0, HLC_DIGITS)
  if (digits.length < HLC_DIGITS || !/^\d+$/.test(digits)) return undefined
  return Math.floor(Number(digits) / TICKS_PER_HOUR)
}

/** The lowest and highest order keys an hour can hold, as bounds for `entries`. */
export function hourBounds(hour: number): { gte: string; lte: string } {
  const pad = (n: number): string => n.toString().padStart(HLC_DIGITS, '0')
  return { gte: pad(hour * TICKS_PER_HOUR), lte: `${pad((hour + 1) * TICKS_PER_HOUR - 1)}~` }
}

export interface PhysicalRange {
  range: RangeOptions
  /** Set when the physical range is wider than asked: entries outside the logical bounds are dropped. */
  filter?: (logicalKey: string) => boolean
}

export interface KeyMapper {
  /** Whether this collection's keys on disk differ from its logical keys. */
  hides(collection: CollectionName): boolean
  key(collection: CollectionName, logical: string): string
  range(collection: CollectionName, range: RangeOptions): PhysicalRange
}

/** Keys on disk are the logical keys: stores without a data key (tests) and schema 3 and older. */
export const clearKeys: KeyMapper = {
  hides: () => false,
  key: (_collection, logical) => logical,
  range: (_collection, range) => ({ range })
}

const HMAC_BYTES = 16
const MEMO_LIMIT = 20_000

function split(layout: KeyLayout, key: string): string[] {
  if (layout.sep === '') return [key]
  const parts: string[] = []
  let rest = key
  while (parts.length < layout.segments.length - 1) {
    const at = rest.indexOf(layout.sep)
    if (at < 0) break
    parts.push(rest.slice(0, at))
    rest = rest.slice(at + layout.sep.length)
  }
  parts.push(rest)
  return parts
}

function inBounds(range: RangeOptions, key: string): boolean {
  return (range.gt === undefined || key > range.gt) && (range.gte === undefined || key >= range.gte) &&
    (range.lt === undefined || key < range.lt) && (range.lte === undefined || key <= range.lte)
}

/**
 * Maps logical keys to keys on disk that name no person, conversation or time. The HMAC key is
 * derived from the data key with HKDF under its own label, so it is never the key that seals
 * values. Each segment's HMAC covers the collection, its position and every segment before it:
 * one author's entries in two conversations, or one id in two collections, are not linkable.
 */
export function createKeyMapper(dataKey: Uint8Array): KeyMapper {
  const hmacKey = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'enclave/store-key-hmac/v1', 32))
  // Conversation and peer ids recur on every message: their digests are kept, up to a bound.
  const memo = new Map<string, string>()
  const mac = (input: string): string => {
    let out = memo.get(input)
    if (out === undefined) {
      out = createHmac('sha256', hmacKey).update(input).digest().subarray(0, HMAC_BYTES).toString('hex')
      if (memo.size >= MEMO_LIMIT) memo.clear()
      memo.set(input, out)
    }
    return out
  }
  const hourMac = (collection: string, prefix: string[], hour: number): string => mac(`${collection}\0hour\0${prefix.join('\0')}\0${hour}`)

  /** Maps a key, or a range bound: `bound` says which end of its hour group a bound inside an hour stands for. */
  const mapKey = (collection: CollectionName, layout: KeyLayout, key: string, bound?: 'lower' | 'upper'): { key: string; hour?: string } => {
    if (key === '') return { key }
    const parts = split(layout, key)
    const out: string[] = []
    let hour: string | undefined
    parts.forEach((part, i) => {
      const kind = layout.segments[i] ?? 'clear'
      const last = i === parts.length - 1
      if (last && bound !== undefined && (part === '' || part === '~')) { out.push(part); return }
      if (kind === 'clear') { out.push(part); return }
      if (kind === 'hash') { out.push(mac(`${collection}\0${i}\0${parts.slice(0, i + 1).join('\0')}`)); return }
      const h = hourOfOrder(part)
      if (h === undefined) throw new EnclaveError('internal', `${collection}: key segment ${i} is not an order key`)
      hour = hourMac(collection, parts.slice(0, i), h)
      if (bound === undefined) out.push(hour, mac(`${collection}\0${i}\0${parts.slice(0, i + 1).join('\0')}`))
      else out.push(hour, bound === 'lower' ? '' : '~')
    })
    return { key: out.join(layout.sep), hour }
  }

  return {
    hides: (collection) => KEY_LAYOUTS[collection] !== null,
    key: (collection, logical) => {
      const layout = KEY_LAYOUTS[collection]
      return layout === null ? logical : mapKey(collection, layout, logical).key
    },
    range: (collection, range) => {
      const layout = KEY_LAYOUTS[collection]
      if (layout === null) return { range }
      const out: RangeOptions = { reverse: range.reverse, limit: range.limit }
      const hours = new Set<string | undefined>()
      for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
        const value = range[bound]
        if (value === undefined) continue
        const mapped = mapKey(collection, layout, value, bound.startsWith('g') ? 'lower' : 'upper')
        hours.add(mapped.hour)
        // A bound inside an hour widens to the whole hour, inclusive; the filter narrows it again.
        const widened = mapped.hour === undefined ? bound : bound.startsWith('g') ? 'gte' : 'lte'
        out[widened] = mapped.key
      }
      if ([...hours].some((h) => h !== undefined)) {
        const lower = range.gt !== undefined || range.gte !== undefined
        const upper = range.lt !== undefined || range.lte !== undefined
        if (hours.size !== 1 || !lower || !upper) throw new EnclaveError('internal', `${collection}: a range inside an hour needs both bounds in that hour`)
        const { limit: _limit, ...unlimited } = out
        return { range: unlimited, filter: (key) => inBounds(range, key) }
      }
      return { range: out }
    }
  }
}
