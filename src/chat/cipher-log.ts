import type { PeerIdString } from '../api/contract.js'
import type { Store, StoreBatch } from '../store/store.js'
import type { Envelope } from './envelope.js'

/** An envelope as stored (JSON values): the MLS bytes and the signature as base64. */
type StoredEnvelope = Omit<Envelope, 'mls' | 'sig'> & { mls: string; sig: string }
/** A held envelope, with the peer that handed it over (whose quota it counts against). */
type HeldEnvelope = StoredEnvelope & { from?: string }

/** Envelopes one author may have waiting for keys in one conversation: its own quota, never another's. */
export const MAX_HELD_PER_SENDER = 2_000
export const MAX_HELD_BYTES_PER_SENDER = 16 * 1024 * 1024
/** Envelopes a conversation holds at most, from everyone together. */
export const MAX_HELD_PER_CONVERSATION = 20_000

const SEP = '!'
const pad = (n: number, width: number): string => n.toString().padStart(width, '0')

export function envelopeKey(conv: string, author: string, seq: number): string {
  return `${conv}${SEP}${author}${SEP}${pad(seq, 16)}`
}

function toStored(env: Envelope): StoredEnvelope {
  return { ...env, mls: Buffer.from(env.mls).toString('base64'), sig: Buffer.from(env.sig).toString('base64') }
}

/** Envelopes stored before they were signed (version 2) come back unsigned: they verify nowhere. */
function fromStored(s: StoredEnvelope): Envelope {
  return { ...s, mls: new Uint8Array(Buffer.from(s.mls, 'base64')), sig: new Uint8Array(Buffer.from(typeof s.sig === 'string' ? s.sig : '', 'base64')) }
}

/**
 * Every envelope of every conversation this device is in (or holds as a mailbox), as
 * ciphertext, once its author's signature on it was checked: what it serves to members catching
 * up and hands over as a mailbox, and what deduplication trusts. Plus the inbox: signed
 * envelopes that cannot be opened yet (their epoch's commit or their welcome has not arrived),
 * each against its author's quota.
 */
export interface CipherLog {
  put(batch: StoreBatch, env: Envelope): string
  get(keys: string[]): Promise<Array<Envelope | undefined>>
  /** Which of these are stored already. */
  has(keys: string[]): Promise<boolean[]>
  /**
   * Envelopes of a conversation that a peer lacks: per author, every seq above `have[author]`.
   * `since`: the peer joined at that epoch; of an author's envelopes from earlier epochs only the
   * last is sent (it shows the peer that all before it are from before it joined).
   */
  missing(conv: string, have: Record<string, number>, limit: number, since?: number): Promise<Envelope[]>
  /**
   * Keeps a signed envelope that cannot be opened yet, against the quota of `from` (its author);
   * false (nothing kept) when that quota or the conversation's is full.
   * Commits sort before applications of their epoch; the same bytes twice are kept once.
   */
  hold(batch: StoreBatch, env: Envelope, from: PeerIdString): boolean
  release(batch: StoreBatch, env: Envelope): void
  /** Forgets a stored envelope (a mailbox's deposit handed to everyone, or past retention). */
  drop(batch: StoreBatch, key: string): void
  /** Held envelopes of a conversation, oldest epoch first. */
  held(conv: string): Promise<Envelope[]>
  /** Held envelopes of a conversation now (counted at start, then kept in step). */
  heldCount(conv: string): Promise<number>
  /** MLS bytes of the envelopes kept in memory after their write. */
  cachedBytes(): number
}

/**
 * Envelopes kept in memory after they are written, so delivery rarely reads them back: at most
 * this many, and at most RECENT_BYTES of MLS bytes (by count alone, a guest's flood of its own
 * 1 MiB envelopes held 4 GiB: bench:hostile saw a member grow by 974 MB).
 */
const RECENT = 4096
export const RECENT_BYTES = 8 * 1024 * 1024

export function createCipherLog(store: Store): CipherLog {
  const envelopes = store.collection<StoredEnvelope>('ciphertexts')
  const recent = new Map<string, Envelope>()
  let recentBytes = 0
  const remember = (key: string, env: Envelope): void => {
    const old = recent.get(key)
    if (old !== undefined) { recent.delete(key); recentBytes -= old.mls.byteLength }
    recent.set(key, env)
    recentBytes += env.mls.byteLength
    for (const [k, e] of recent) {
      if (recent.size <= RECENT && recentBytes <= RECENT_BYTES) break
      recent.delete(k)
      recentBytes -= e.mls.byteLength
    }
  }
  const inbox = store.collection<HeldEnvelope>('mlsInbox')
  const kindOrder = { commit: 0, welcome: 1, app: 2 } as const
  // Envelopes are signed by their authors before they get here, so (author, seq) names one.
  const inboxKey = (env: Envelope): string => `${env.conv}${SEP}${pad(env.epoch, 16)}${SEP}${kindOrder[env.kind]}${SEP}${env.author}${SEP}${pad(env.seq, 16)}`
  /** The inbox key each held envelope was read under. */
  const readKeys = new WeakMap<Envelope, string>()
  /** What each conversation holds, per sender: counted from disk on first use, then kept in step. */
  const quotas = new Map<string, { total: number; bySender: Map<string, { n: number; bytes: number }>; keys: Map<string, { from: string; bytes: number }> }>()
  const quotaOf = async (conv: string): Promise<NonNullable<ReturnType<typeof quotas.get>>> => {
    const known = quotas.get(conv)
    if (known !== undefined) return known
    const q = { total: 0, bySender: new Map<string, { n: number; bytes: number }>(), keys: new Map<string, { from: string; bytes: number }>() }
    for await (const [key, held] of inbox.entries({ gt: `${conv}${SEP}`, lt: `${conv}${SEP}~` })) count(q, key, held.from ?? '', held.mls.length)
    // Another caller may have counted meanwhile: theirs stays.
    const again = quotas.get(conv)
    if (again !== undefined) return again
    quotas.set(conv, q)
    return q
  }
  const count = (q: NonNullable<ReturnType<typeof quotas.get>>, key: string, from: string, bytes: number): void => {
    if (q.keys.has(key)) return
    q.keys.set(key, { from, bytes })
    q.total++
    const s = q.bySender.get(from) ?? { n: 0, bytes: 0 }
    s.n++
    s.bytes += bytes
    q.bySender.set(from, s)
  }
  const uncount = (q: NonNullable<ReturnType<typeof quotas.get>>, key: string): void => {
    const entry = q.keys.get(key)
    if (entry === undefined) return
    q.keys.delete(key)
    q.total--
    const s = q.bySender.get(entry.from)
    if (s === undefined) return
    s.n--
    s.bytes -= entry.bytes
    if (s.n <= 0) q.bySender.delete(entry.from)
  }

  return {
    drop: (batch, key) => {
      batch.del(envelopes, key)
      recent.delete(key)
    },
    put: (batch, env) => {
      const key = envelopeKey(env.conv, env.author, env.seq)
      batch.put(envelopes, key, toStored(env))
      remember(key, env)
      return key
    },
    get: async (keys) => {
      // Taken before the read: puts made while it waits may push these out of `recent`.
      const hits = keys.map((k) => recent.get(k))
      const missing = keys.filter((_, i) => hits[i] === undefined)
      const loaded = missing.length === 0 ? [] : await envelopes.getMany(missing)
      let next = 0
      return hits.map((hit) => {
        if (hit !== undefined) return hit
        const s = loaded[next++]
        return s === undefined ? undefined : fromStored(s)
      })
    },
    has: async (keys) => (await envelopes.getMany(keys)).map((s) => s !== undefined),
    missing: async (conv, have, limit, since) => {
      const out: Envelope[] = []
      /** Adds one; true once the page is full. */
      const push = (stored: StoredEnvelope): boolean => out.push(fromStored(stored)) >= limit
      // An author's envelopes come together, in seq order: its last one from before `since` is
      // sent when the author's next one (or the next author) comes.
      let before: { author: string; stored: StoredEnvelope } | undefined
      for await (const [key, stored] of envelopes.entries({ gt: `${conv}${SEP}`, lt: `${conv}${SEP}~` })) {
        const author = key.slice(conv.length + 1, key.lastIndexOf(SEP))
        if (before !== undefined && before.author !== author) {
          if (push(before.stored)) return out
          before = undefined
        }
        if (stored.seq <= (have[author] ?? 0)) continue
        if (since !== undefined && stored.epoch < since) { before = { author, stored }; continue }
        if (before !== undefined) {
          if (push(before.stored)) return out
          before = undefined
        }
        if (push(stored)) return out
      }
      if (before !== undefined) push(before.stored)
      return out
    },
    hold: (batch, env, from) => {
      const q = quotas.get(env.conv)
      if (q === undefined) throw new Error('cipher log: count the conversation first (heldCount)')
      const key = inboxKey(env)
      if (q.keys.has(key)) return true
      const sender = q.bySender.get(from) ?? { n: 0, bytes: 0 }
      const bytes = Math.ceil(env.mls.byteLength / 3) * 4
      if (q.total >= MAX_HELD_PER_CONVERSATION || sender.n >= MAX_HELD_PER_SENDER || sender.bytes + bytes > MAX_HELD_BYTES_PER_SENDER) return false
      batch.put(inbox, key, { ...toStored(env), from })
      count(q, key, from, bytes)
      return true
    },
    release: (batch, env) => {
      // Envelopes held by an older version sit under their old key: released under the one read.
      const key = readKeys.get(env) ?? inboxKey(env)
      batch.del(inbox, key)
      const q = quotas.get(env.conv)
      if (q !== undefined) uncount(q, key)
    },
    held: async (conv) => {
      const out: Envelope[] = []
      for await (const [key, stored] of inbox.entries({ gt: `${conv}${SEP}`, lt: `${conv}${SEP}~` })) {
        const { from: _from, ...rest } = stored
        const env = fromStored(rest)
        readKeys.set(env, key)
        out.push(env)
      }
      return out
    },
    heldCount: async (conv) => (await quotaOf(conv)).total,
    cachedBytes: () => recentBytes
  }
}
