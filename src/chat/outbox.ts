import { errorMessage } from '../errors.js'
import { parseDeviceText } from '../ids.js'
import { concatFrames, readFrameBatches } from '../net/frame-reader.js'
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from './chat-frames.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Store, StoreBatch } from '../store/store.js'
import type { Envelope } from './envelope.js'
import type { Stream } from '@libp2p/interface'

/** One queued envelope for one recipient. The envelope itself is stored once, in the cipher log. */
export interface OutboxEntry {
  /** Storage key of this device's message in the message log, so acks update it; null for other envelopes. */
  messageKey: string | null
  /** Cipher log key of the envelope. */
  envKey: string
  conv: string
  author: string
  seq: number
  /** Set for a mailbox deposit: the devices the mailbox hands the envelope to. */
  for?: PeerIdString[]
  enqueuedAt: number
}

export interface OutboxComponents {
  store: Store
  log: Logger
  /** Opens a chat stream to a peer, dialling it if needed. */
  openStream(peer: PeerIdString, signal: AbortSignal): Promise<Stream>
  /** The envelopes behind cipher log keys (undefined if gone). */
  load(keys: string[]): Promise<Array<Envelope | undefined>>
  /**
   * The recipient stored these. Stage their new state into `batch` (which also removes them
   * from the queue) and return what to announce once the batch is committed.
   */
  onAcked(peer: PeerIdString, entries: OutboxEntry[], batch: StoreBatch): () => void
  /** These were written to an open stream. */
  onSent(peer: PeerIdString, entries: OutboxEntry[]): void
  /** These passed `maxAgeMs` undelivered; same contract as `onAcked`. */
  onExpired(peer: PeerIdString, entries: OutboxEntry[], batch: StoreBatch): () => void
}

export interface OutboxInit {
  /** Give up redelivery after this long; the message shows as failed and can be retried. @default 7 days */
  maxAgeMs?: number
  /** First retry delay after a failed dial; doubles up to `maxBackoffMs`. @default 500 */
  minBackoffMs?: number
  /** @default 30 s */
  maxBackoffMs?: number
  /** Frames read from disk and written per stream write. @default 256 */
  pageSize?: number
  /** @default 10 s */
  dialTimeoutMs?: number
  /** How long an envelope the recipient refused for now (`refused`, e.g. a mailbox over quota) waits before it is offered again. @default 60 s */
  refusedRetryMs?: number
  /**
   * The first number this run gives an entry (`nextOutboxCounter`): above every queued entry's,
   * so a peer's queue stays in order across restarts. @default 1
   */
  firstCounter?: number
}

export interface Outbox {
  /** Adds an entry to `batch`, after every entry enqueued before; call `kick(peer)` once the batch is written. */
  enqueue(batch: StoreBatch, peer: PeerIdString, entry: OutboxEntry): void
  /** Start (or continue) delivering to a peer now, resetting its backoff. */
  kick(peer: PeerIdString): void
  /** Peers with queued entries. */
  peersWithPending(): Promise<PeerIdString[]>
  pendingCount(peer: PeerIdString): Promise<number>
  stop(): Promise<void>
}

const SEP = '!'
const COUNTER_DIGITS = 17

/**
 * A queue entry's key: the recipient, then a counter. A counter and not a clock reading: the
 * key is not sealed on disk, and the counter says nothing about when anything was sent
 * (store/key-layout.ts hides the recipient).
 */
function entryKey(peer: string, counter: number): string {
  return `${peer}${SEP}${counter.toString().padStart(COUNTER_DIGITS, '0')}`
}

/** One more than the highest counter queued for any recipient: where the next run starts. */
export async function nextOutboxCounter(store: Store): Promise<number> {
  const queue = store.collection<OutboxEntry>('outbox')
  let highest = 0
  let from = ''
  for (;;) {
    let peer: string | undefined
    for await (const [key] of queue.entries({ gt: from, limit: 1 })) peer = key.slice(0, key.indexOf(SEP))
    if (peer === undefined) return highest + 1
    for await (const [key] of queue.entries({ gt: `${peer}${SEP}`, lt: `${peer}${SEP}~`, reverse: true, limit: 1 })) {
      const counter = Number(key.slice(key.indexOf(SEP) + 1))
      if (Number.isSafeInteger(counter)) highest = Math.max(highest, counter)
    }
    from = `${peer}${SEP}~`
  }
}

/**
 * Durable per-recipient queues. Each recipient has one sender: it keeps one stream open,
 * writes queued frames in order, and deletes an entry only when the recipient acknowledges
 * it. When the stream breaks everything unacknowledged is sent again (the recipient drops
 * duplicates), so nothing is lost across restarts on either side.
 */
export function createOutbox(components: OutboxComponents, init: OutboxInit = {}): Outbox {
  const { store, log } = components
  const queue = store.collection<OutboxEntry>('outbox')
  const maxAgeMs = init.maxAgeMs ?? 7 * 24 * 60 * 60 * 1000
  const minBackoff = init.minBackoffMs ?? 500
  const maxBackoff = init.maxBackoffMs ?? 30_000
  const pageSize = init.pageSize ?? 256
  const dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  const refusedRetryMs = init.refusedRetryMs ?? 60_000
  let counter = init.firstCounter ?? 1
  const senders = new Map<PeerIdString, Sender>()
  const stopping = new AbortController()

  class Sender {
    private stream: Stream | undefined
    /** The highest queue key written to the current stream. */
    private cursor: string | undefined
    /**
     * Where entries written behind the cursor start. Keys follow the order of enqueueing, but
     * batches land in any order: a conversation's batch sealed earlier may be written after
     * another's was already sent. Without this those entries sat unsent while the peer stayed
     * connected (bench:groups lost up to 16 of 10,000 messages this way).
     */
    private behind: { key: string; inclusive: boolean } | undefined
    private readonly inflight = new Map<string, { key: string; entry: OutboxEntry }>()
    /** Queue keys written to the current stream and not acknowledged yet. */
    private readonly inflightKeys = new Set<string>()
    /** A page is being read from the queue. */
    private reading = false
    /** Keys acknowledged (and deleted) since the current page read began. */
    private readonly justAcked = new Set<string>()
    private running = false
    /** Counts stream resets, so a drain can tell that one happened while it waited. */
    private generation = 0
    private again = false
    private backoff = 0
    private timer: NodeJS.Timeout | undefined

    constructor (private readonly peer: PeerIdString) {}

    kick (resetBackoff: boolean): void {
      if (stopping.signal.aborted) return
      if (resetBackoff) this.backoff = 0
      if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined }
      if (this.running) { this.again = true; return }
      void this.run()
    }

    private async run (): Promise<void> {
      this.running = true
      try {
        // A kick during a drain sets `again`: the queue may have grown after the last read.
        for (let more = true; more && !stopping.signal.aborted; more = this.takeAgain()) {
          await this.drain()
        }
        this.backoff = 0
      } catch (err) {
        if (!stopping.signal.aborted) {
          log.debug('delivery paused', { peer: this.peer, error: errorMessage(err) })
          this.dropStream(err)
          this.retryLater()
        }
      } finally {
        this.running = false
      }
    }

    private takeAgain (): boolean {
      const again = this.again
      this.again = false
      return again
    }

    /** Writes every queued entry past the cursor to the stream. */
    private async drain (): Promise<void> {
      for (;;) {
        const generation = this.generation
        const behind = this.behind
        const page: Array<[string, OutboxEntry]> = []
        // Behind the cursor first (up to it), then onwards from it.
        const range = behind === undefined || this.cursor === undefined
          ? { gt: this.cursor ?? `${this.peer}${SEP}`, lt: `${this.peer}${SEP}~` }
          : { ...(behind.inclusive ? { gte: behind.key } : { gt: behind.key }), lte: this.cursor }
        this.reading = true
        this.justAcked.clear()
        try {
          for await (const item of queue.entries({ ...range, limit: pageSize })) page.push(item)
        } finally {
          this.reading = false
        }
        // The stream broke while the page was read: its reset cursor stands, and the page is read
        // again from there. Claiming this page now would mark as sent what no stream carried, and
        // nothing would send it while the next stream stayed open.
        if (generation !== this.generation) continue
        if (behind !== undefined) {
          const last = page.at(-1)?.[0]
          if (this.behind === behind) this.behind = page.length < pageSize || last === undefined ? undefined : { key: last, inclusive: false }
          if (page.length === 0) continue
        } else {
          if (page.length === 0) return
          // Claimed as soon as read: an entry written behind it from now on is rescanned (`arrived`).
          // Every way this page can fail to go out resets the cursor (`dropStream`).
          this.cursor = page.at(-1)?.[0]
        }
        const live = await this.expire(page.filter(([key]) => !this.inflightKeys.has(key) && !this.justAcked.has(key)))
        if (live.length === 0) continue
        const stream = await this.ensureStream()
        const frames: Uint8Array[] = []
        const envs = await components.load(live.map(([, e]) => e.envKey))
        // A stream that broke while this page was loaded: what it carried goes again on a new one.
        if (generation !== this.generation) continue
        if (stream.status !== 'open') { this.dropStream(undefined); continue }
        live.forEach(([key, entry], i) => {
          const env = envs[i]
          // An envelope gone from the log (its conversation was deleted) is simply not sent.
          if (env === undefined) {
            log.warn('queued envelope is gone from the log; dropping it', { peer: this.peer, conv: entry.conv, seq: entry.seq, code: 'not-found' })
            void queue.del(key)
            return
          }
          frames.push(encodeFrame(entry.for === undefined ? { t: 'msg', env } : { t: 'msg', env, for: entry.for }))
          this.inflight.set(`${entry.conv}/${entry.author}/${entry.seq}`, { key, entry })
          this.inflightKeys.add(key)
        })
        log.debug('envelopes sent', { peer: this.peer, n: frames.length, first: `${live[0]?.[1].conv}/${live[0]?.[1].author}/${live[0]?.[1].seq}` })
        if (!stream.send(concatFrames(frames))) await stream.onDrain({ signal: stopping.signal })
        components.onSent(this.peer, live.map(([, e]) => e))
      }
    }

    private async expire (page: Array<[string, OutboxEntry]>): Promise<Array<[string, OutboxEntry]>> {
      const cutoff = Date.now() - maxAgeMs
      const old = page.filter(([, e]) => e.enqueuedAt < cutoff)
      if (old.length === 0) return page
      const batch = store.batch()
      for (const [key] of old) batch.del(queue, key)
      const announce = components.onExpired(this.peer, old.map(([, e]) => e), batch)
      await batch.write()
      announce()
      return page.filter(([, e]) => e.enqueuedAt >= cutoff)
    }

    private async ensureStream (): Promise<Stream> {
      if (this.stream !== undefined && this.stream.status === 'open') return this.stream
      const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(dialTimeoutMs)])
      log.debug('opening a delivery stream', { peer: this.peer })
      const stream = await components.openStream(this.peer, signal)
      log.debug('delivery stream open', { peer: this.peer })
      this.stream = stream
      void this.readAcks(stream)
      return stream
    }

    private async readAcks (stream: Stream): Promise<void> {
      try {
        for await (const batch of readFrameBatches(stream, { maxFrameBytes: MAX_FRAME_BYTES })) {
          const acked: OutboxEntry[] = []
          const keys: string[] = []
          const write = store.batch()
          for (const body of batch) {
            const frame = decodeFrame(body)
            if (frame.t === 'msg') continue
            const id = `${frame.conv}/${frame.author}/${frame.seq}`
            const hit = this.inflight.get(id)
            if (hit === undefined) continue
            this.inflight.delete(id)
            if (frame.t === 'refused') {
              // Not stored there: it stays queued here and is offered again later, not at once.
              log.info('envelope refused for now; kept queued', { peer: this.peer, conv: frame.conv, seq: frame.seq, code: frame.code })
              this.inflightKeys.delete(hit.key)
              setTimeout(() => { this.arrived(hit.key); this.kick(false) }, refusedRetryMs).unref()
              continue
            }
            write.del(queue, hit.key)
            acked.push(hit.entry)
            keys.push(hit.key)
          }
          if (acked.length === 0) continue
          log.debug('envelopes acknowledged', { peer: this.peer, n: acked.length, inflight: this.inflight.size })
          const announce = components.onAcked(this.peer, acked, write)
          await write.write()
          // Gone from the queue now, but a page read that began before this write may still list them.
          for (const key of keys) { this.inflightKeys.delete(key); this.justAcked.add(key) }
          announce()
        }
      } catch (err) {
        if (!stopping.signal.aborted) log.debug('ack stream failed', { peer: this.peer, error: errorMessage(err) })
      }
      log.debug('delivery stream ended', { peer: this.peer, current: this.stream === stream, inflight: this.inflight.size })
      if (this.stream === stream) {
        this.dropStream(undefined)
        // Whatever was unacknowledged goes out again on a fresh stream; an empty queue opens none.
        if (!stopping.signal.aborted) this.retryLater()
      }
    }

    private dropStream (err: unknown): void {
      this.generation++
      const stream = this.stream
      this.stream = undefined
      this.cursor = undefined
      this.behind = undefined
      this.inflight.clear()
      this.inflightKeys.clear()
      if (stream !== undefined && stream.status === 'open') stream.abort(err instanceof Error ? err : new Error('delivery restarted'))
    }

    private retryLater (): void {
      this.backoff = this.backoff === 0 ? minBackoff : Math.min(this.backoff * 2, maxBackoff)
      this.timer = setTimeout(() => { this.timer = undefined; this.kick(false) }, this.backoff)
      this.timer.unref()
    }

    /**
     * An entry was written to the queue: if it landed behind the cursor, or while a page was being
     * read (it may have been passed over), the next page starts there.
     */
    arrived (key: string): void {
      if (!this.reading && (this.cursor === undefined || key > this.cursor)) return
      if (this.behind === undefined || key < this.behind.key || (key === this.behind.key && !this.behind.inclusive)) this.behind = { key, inclusive: true }
    }

    close (): void {
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.dropStream(undefined)
    }
  }

  const sender = (peer: PeerIdString): Sender => {
    let s = senders.get(peer)
    if (s === undefined) {
      s = new Sender(peer)
      senders.set(peer, s)
    }
    return s
  }

  return {
    enqueue: (batch, peer, entry) => {
      const key = entryKey(peer, counter++)
      batch.put(queue, key, entry).afterWrite(() => { senders.get(peer)?.arrived(key) })
    },
    kick: (peer) => { sender(peer).kick(true) },
    peersWithPending: async () => {
      const peers: PeerIdString[] = []
      let from = ''
      for (;;) {
        let next: string | undefined
        for await (const [key] of queue.entries({ gt: from, limit: 1 })) next = key
        if (next === undefined) return peers
        const peer = parseDeviceText(next.slice(0, next.indexOf(SEP)))
        peers.push(peer)
        from = `${peer}${SEP}~`
      }
    },
    pendingCount: async (peer) => {
      let n = 0
      for await (const _ of queue.entries({ gt: `${peer}${SEP}`, lt: `${peer}${SEP}~` })) n++
      return n
    },
    stop: async () => {
      stopping.abort()
      for (const s of senders.values()) s.close()
      senders.clear()
      await Promise.resolve()
    }
  }
}
