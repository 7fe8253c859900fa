import type { Store, StoreBatch } from '../store/store.js'
import type { Envelope } from './envelope.js'

/** An envelope as stored (JSON values): the MLS bytes as base64. */
type StoredEnvelope = Omit<Envelope, 'mls'> & { mls: string }

const SEP = '!'
const pad = (n: number, width: number): string => n.toString().padStart(width, '0')

export function envelopeKey(conv: string, author: string, seq: number): string {
  return `${conv}${SEP}${author}${SEP}${pad(seq, 16)}`
}

function toStored(env: Envelope): StoredEnvelope {
  return { ...env, mls: Buffer.from(env.mls).toString('base64') }
}

function fromStored(s: StoredEnvelope): Envelope {
  return { ...s, mls: new Uint8Array(Buffer.from(s.mls, 'base64')) }
}

/**
 * Every envelope of every conversation this device is in (or holds as a mailbox), as
 * ciphertext: what it serves to members catching up and hands over as a mailbox. Plus the
 * inbox: envelopes received but not processed yet, in the order they should be tried.
 */
export interface CipherLog {
  put(batch: StoreBatch, env: Envelope): string
  get(keys: string[]): Promise<Array<Envelope | undefined>>
  /** Which of these are stored already. */
  has(keys: string[]): Promise<boolean[]>
  /** Envelopes of a conversation that a peer lacks: per author, every seq above `have[author]`. */
  missing(conv: string, have: Record<string, number>, limit: number): Promise<Envelope[]>
  /** Queues an envelope for processing. Commits sort before applications of their epoch. */
  hold(batch: StoreBatch, env: Envelope): void
  release(batch: StoreBatch, env: Envelope): void
  /** Held envelopes of a conversation, oldest epoch first. */
  held(conv: string): Promise<Envelope[]>
  heldCount(conv: string): Promise<number>
}

/** Envelopes kept in memory after they are written, so delivery rarely reads them back. */
const RECENT = 4096

export function createCipherLog(store: Store): CipherLog {
  const envelopes = store.collection<StoredEnvelope>('ciphertexts')
  const recent = new Map<string, Envelope>()
  const inbox = store.collection<StoredEnvelope>('mlsInbox')
  const kindOrder = { commit: 0, welcome: 1, app: 2 } as const
  const inboxKey = (env: Envelope): string => `${env.conv}${SEP}${pad(env.epoch, 16)}${SEP}${kindOrder[env.kind]}${SEP}${env.author}${SEP}${pad(env.seq, 16)}`

  return {
    put: (batch, env) => {
      const key = envelopeKey(env.conv, env.author, env.seq)
      batch.put(envelopes, key, toStored(env))
      if (recent.size >= RECENT) recent.delete(recent.keys().next().value ?? '')
      recent.set(key, env)
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
    missing: async (conv, have, limit) => {
      const out: Envelope[] = []
      for await (const [key, stored] of envelopes.entries({ gt: `${conv}${SEP}`, lt: `${conv}${SEP}~` })) {
        const author = key.slice(conv.length + 1, key.lastIndexOf(SEP))
        if (stored.seq > (have[author] ?? 0)) out.push(fromStored(stored))
        if (out.length >= limit) break
      }
      return out
    },
    hold: (batch, env) => { batch.put(inbox, inboxKey(env), toStored(env)) },
    release: (batch, env) => { batch.del(inbox, inboxKey(env)) },
    held: async (conv) => {
      const out: Envelope[] = []
      for await (const [, stored] of inbox.entries({ gt: `${conv}${SEP}`, lt: `${conv}${SEP}~` })) out.push(fromStored(stored))
      return out
    },
    heldCount: async (conv) => {
      let n = 0
      for await (const _ of inbox.entries({ gt: `${conv}${SEP}`, lt: `${conv}${SEP}~` })) n++
      return n
    }
  }
}
