import { RateLimiter } from '@libp2p/utils'
import { EnclaveError, errorMessage } from '../errors.js'
import { MAX_HEADS_CONVERSATIONS } from './group-protocol.js'
import type { ConversationId, OnTheWay, PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { ConversationRecord } from './message-log.js'

/** What the gap watch needs besides the chat context: fetching from a member, and telling one. */
export interface GapWatchComponents {
  /** Asks `peer` for every envelope of the conversation beyond what this device holds. */
  catchUp(peer: PeerIdString, record: ConversationRecord): Promise<void>
  /** Sends `heads` news to a member. */
  tell(peer: PeerIdString, convs: Array<{ conv: ConversationId; heads: Record<string, number> }>): Promise<void>
}

export interface GapWatchInit {
  /** News of new envelopes is gathered this long before members are told. @default 300 ms */
  tellAfterMs?: number
}

export interface GapWatch {
  /**
   * After a write: the gapless marks of `moved` authors advanced (connected members are told),
   * and `holes` are envelopes stored beyond a gap, handed over by `from` (the gap is known for
   * certain: their authors signed the later numbers).
   */
  stored(record: ConversationRecord, moved: Iterable<string>, holes: Array<{ author: string; seq: number; from: PeerIdString }>): void
  /** A member told what it holds (the group protocol's `heads`). */
  heard(from: PeerIdString, convs: Array<{ conv: ConversationId; heads: Record<string, number> }>): void
  /** Catches up with a member now (or again once the running catch-up ends). */
  pull(peer: PeerIdString, record: ConversationRecord): void
  /** Envelopes this device knows exist and lacks, per author, with who is expected to have them. */
  onTheWay(record: ConversationRecord): OnTheWay[]
  stop(): void
}

/** A gap: envelopes of `author` up to `upTo` exist, and these devices said they hold them (up to their number). */
interface Claim { upTo: number; from: Map<PeerIdString, number> }

/**
 * No silent gaps (docs/protocol.md, "Heads"). A member that stores new envelopes of a
 * conversation tells the conversation's connected members how far it now holds each author's;
 * one that lacks some fetches them from it at once with catch-up, and until they arrive the
 * conversation shows how many are on the way and from whom. So a post that reached Alice but not
 * Dave (its author has no route to Dave) reaches Dave through Alice's copy, and a gap never hides
 * behind a later message.
 *
 * Heads are a member's word, not proof: they never mark anything seen or stored. They only make
 * this device ask that member, and a member that said it held envelopes and then served none is
 * not believed again about them. What an envelope proves (its author signed a later number) is
 * a gap for certain, expected from whoever handed it over and from the author.
 */
export function createGapWatch(ctx: ChatContext, components: GapWatchComponents, init: GapWatchInit = {}): GapWatch {
  const { self, log, messages } = ctx
  const tellAfterMs = init.tellAfterMs ?? 300
  const claims = new Map<ConversationId, Map<string, Claim>>()
  /** `conv|peer|author` → the number that member claimed and did not serve. */
  const unserved = new Map<string, number>()
  /** News gathered for the next telling: per conversation, authors whose mark moved. */
  const news = new Map<ConversationId, Set<string>>()
  const running = new Map<string, { again: boolean }>()
  // A member tells at most every `tellAfterMs` per conversation batch; a few a second is plenty.
  const hearing = new RateLimiter({ points: 20, duration: 2 })
  let tellTimer: NodeJS.Timeout | undefined
  let stopped = false

  const changed = (record: ConversationRecord): void => {
    ctx.announce(record).catch((err: unknown) => { log.debug('could not tell the shells', { conv: record.id, error: errorMessage(err) }) })
  }

  /** Drops what arrived; says whether anything changed. */
  const settle = (record: ConversationRecord): boolean => {
    const mine = claims.get(record.id)
    if (mine === undefined) return false
    let any = false
    for (const [author, claim] of mine) {
      const have = record.seen[author] ?? 0
      for (const [peer, upTo] of claim.from) if (upTo <= have) claim.from.delete(peer)
      if (claim.upTo <= have || claim.from.size === 0) { mine.delete(author); any = true }
    }
    if (mine.size === 0) claims.delete(record.id)
    return any
  }

  const claim = (record: ConversationRecord, author: string, upTo: number, from: PeerIdString): void => {
    if (upTo <= (record.seen[author] ?? 0)) return
    const mine = claims.get(record.id) ?? new Map<string, Claim>()
    claims.set(record.id, mine)
    const held = mine.get(author) ?? { upTo: 0, from: new Map<PeerIdString, number>() }
    mine.set(author, held)
    held.upTo = Math.max(held.upTo, upTo)
    held.from.set(from, Math.max(held.from.get(from) ?? 0, upTo))
  }

  /** After a catch-up with `peer` that ended well: what it claimed and did not serve is not believed again. */
  const served = (peer: PeerIdString, record: ConversationRecord): void => {
    for (const [author, c] of claims.get(record.id) ?? []) {
      const said = c.from.get(peer)
      if (said === undefined || said <= (record.seen[author] ?? 0)) continue
      c.from.delete(peer)
      unserved.set(`${record.id}|${peer}|${author}`, said)
      log.info('a member said it held envelopes it did not serve', { peer, conv: record.id, author, upTo: said, code: 'not-found' })
    }
  }

  const pull = (peer: PeerIdString, record: ConversationRecord): void => {
    if (stopped || peer === self) return
    const key = `${record.id}|${peer}`
    const run = running.get(key)
    if (run !== undefined) { run.again = true; return }
    const state = { again: false }
    running.set(key, state)
    void (async () => {
      try {
        // Asked again meanwhile (more news from this member): one more round covers it all.
        const again = (): boolean => state.again && !stopped
        const before = { ...record.seen }
        log.debug('catching up', { peer, conv: record.id })
        do {
          state.again = false
          await components.catchUp(peer, record)
        } while (again())
        served(peer, record)
        // A restored device may write here again: the shells hear of it.
        if (await ctx.resync.caughtUp(record)) changed(record)
        const got = Object.entries(record.seen).reduce((n, [author, seq]) => n + seq - (before[author] ?? 0), 0)
        log.debug('caught up', { peer, conv: record.id, envelopes: got })
      } catch (err) {
        // Unreachable now: the gap stays shown, and the next connection catches up again.
        log.debug('catch-up failed', { peer, conv: record.id, error: errorMessage(err) })
      } finally {
        running.delete(key)
      }
      if (settle(record) || claims.has(record.id)) changed(record)
    })()
  }

  /** Tells each connected member of a conversation with news how far this device now holds it. */
  const tell = (): void => {
    tellTimer = undefined
    if (stopped || news.size === 0) return
    const connected = new Set(ctx.components.connectedPeers())
    const perPeer = new Map<PeerIdString, Array<{ conv: ConversationId; heads: Record<string, number> }>>()
    for (const [conv, authors] of news) {
      const record = messages.conversation(conv)
      if (record === undefined || record.status !== 'active') continue
      for (const peer of record.members) {
        if (peer === self || !connected.has(peer)) continue
        // An author holds its own envelopes: it needs no news of them.
        const heads = Object.fromEntries([...authors].filter((a) => a !== peer && (record.seen[a] ?? 0) > 0).map((a) => [a, record.seen[a] ?? 0]))
        if (Object.keys(heads).length === 0) continue
        const list = perPeer.get(peer) ?? []
        if (list.length < MAX_HEADS_CONVERSATIONS) list.push({ conv, heads })
        perPeer.set(peer, list)
      }
    }
    news.clear()
    for (const [peer, convs] of perPeer) {
      components.tell(peer, convs).catch((err: unknown) => { log.debug('could not tell heads', { peer, error: errorMessage(err) }) })
    }
  }

  return {
    stored: (record, moved, holes) => {
      const authors = news.get(record.id) ?? new Set<string>()
      for (const a of moved) authors.add(a)
      if (authors.size > 0) {
        news.set(record.id, authors)
        tellTimer ??= setTimeout(tell, tellAfterMs).unref()
      }
      // The view goes out with this write (inbound announces it after this).
      settle(record)
      for (const hole of holes) {
        // Whoever handed over a later envelope likely holds the earlier ones; so does its author.
        claim(record, hole.author, hole.seq - 1, hole.from)
        if (hole.author !== hole.from && hole.author !== self) claim(record, hole.author, hole.seq - 1, hole.author as PeerIdString)
        pull(hole.from, record)
      }
    },
    heard: (from, convs) => {
      try {
        hearing.consume(from)
      } catch {
        throw new EnclaveError('rate-limited', 'too much news of heads; tell less often')
      }
      for (const { conv, heads } of convs) {
        const record = messages.conversation(conv)
        // Only a member of the conversation speaks of it, and only of its members' envelopes.
        if (record === undefined || record.status !== 'active' || !record.members.includes(from)) continue
        let ask = false
        for (const [author, upTo] of Object.entries(heads)) {
          if (author === self || !(record.members.includes(author as PeerIdString) || record.peerId === author)) continue
          if (upTo <= (record.seen[author] ?? 0) || upTo <= (unserved.get(`${conv}|${from}|${author}`) ?? 0)) continue
          claim(record, author, upTo, from)
          ask = true
        }
        if (!ask) continue
        changed(record)
        pull(from, record)
      }
    },
    pull,
    onTheWay: (record) => [...claims.get(record.id) ?? []]
      .map(([author, c]) => ({ author: author as PeerIdString, count: c.upTo - (record.seen[author] ?? 0), from: [...c.from.keys()] }))
      .filter((w) => w.count > 0),
    stop: () => {
      stopped = true
      clearTimeout(tellTimer)
    }
  }
}
