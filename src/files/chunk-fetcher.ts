import { EnclaveError, errorMessage } from '../errors.js'
import { decodeManifest, equalBytes, sha256, type Manifest } from './file-seal.js'
import { FILES_PROTOCOL, MAX_RUN, askChunks, askManifest } from './file-protocol.js'
import type { BlobStore } from './blob-store.js'
import { roomFor } from './disk-room.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { ProtocolHost } from '../net/protocol-host.js'

/*
 * Fetching a file's chunks from the members who hold it: the manifest first (checked against the
 * root), then runs of chunks spread over the holders, several at once, each chunk checked against
 * the manifest before it is kept. file-service.ts (for a member) and mailbox-files.ts (for a
 * mailbox holding a file for members away) decide when; this is how.
 */

/** A file to fetch: what its message (or a mailbox's deposit) says of it. */
export interface FetchTarget {
  conv: ConversationId
  root: Uint8Array
  size: number
  /** The chunk size the file's message gave, checked against the manifest's; a mailbox has no message. */
  chunkBytes?: number
}

/** Chunk writes under way at once per run, while its stream goes on. */
const WRITES_IN_FLIGHT = 3
/** Longest a holder may take over one run of chunks (16 MiB) before it is left for another. */
const RUN_TIMEOUT_MS = 60_000
/** A holder that sent a chunk not matching the manifest is not asked again for this long. */
const PENALTY_MS = 10 * 60_000

/** A transfer under way: what the caller tracks and this fills in. */
export interface FetchState {
  /** Chunks here now; `had` of them were here when this transfer began, `fetched` came in it. */
  have: number
  had: number
  fetched: number
  /** `have` is known (the manifest was read and the disk checked). */
  counted: boolean
  startedAt: number
  fetchedBytes: number
  /** Chunks fetched in this transfer, by the holder that served them (for the log). */
  from: Map<PeerIdString, number>
  abort: AbortController
}

export function newFetchState(): FetchState {
  return { have: 0, had: 0, fetched: 0, counted: false, startedAt: Date.now(), fetchedBytes: 0, from: new Map(), abort: new AbortController() }
}

export interface ChunkFetcherComponents<T extends FetchTarget> {
  blobs: BlobStore
  protocols: Pick<ProtocolHost, 'dial'>
  log: Logger
  /** Holders that sent a chunk not matching the manifest, until when they are left alone. */
  penalised: Map<string, number>
  /** Who may hold a file, best first. */
  sourcesOf: (target: T) => PeerIdString[]
  /** Most runs of chunks asked for at once, across sources (one per source, up to this). */
  parallelRuns: number
}

/** The file's manifest if it is in `blobs`, checked against its root. */
export async function manifestIn(blobs: BlobStore, root: Uint8Array, size: number): Promise<Manifest | undefined> {
  const bytes = await blobs.get(root)
  return bytes === undefined ? undefined : decodeManifest(bytes, root, size)
}

/** Chunks of the manifest's file that are in `blobs`. */
export async function countIn(blobs: BlobStore, m: Manifest): Promise<number> {
  let n = 0
  for (const h of m.chunks) if (await blobs.has(h)) n++
  return n
}

function signalled(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined
  const promise = new Promise<void>((r) => { resolve = r })
  return { promise, resolve }
}

export interface ChunkFetcher<T extends FetchTarget> {
  /** Fetches every chunk of `target` not here yet; `stored` is told of each chunk kept. */
  fetchAll: (t: FetchState, target: T, stored: () => void) => Promise<void>
}

export function createChunkFetcher<T extends FetchTarget>(components: ChunkFetcherComponents<T>): ChunkFetcher<T> {
  const { blobs, protocols, log, penalised, sourcesOf, parallelRuns } = components

  const fetchManifest = async (fm: T, sources: PeerIdString[], signal: AbortSignal): Promise<Manifest> => {
    const local = await manifestIn(blobs, fm.root, fm.size)
    if (local !== undefined) return local
    let last: unknown = new EnclaveError('peer-unreachable', 'no member who may hold the file is reachable')
    for (const source of sources) {
      try {
        const bytes = await askManifest(await protocols.dial(source, FILES_PROTOCOL, AbortSignal.any([signal, AbortSignal.timeout(15_000)])), fm.conv, fm.root)
        const m = decodeManifest(bytes, fm.root, fm.size)
        await blobs.put(fm.root, bytes)
        return m
      } catch (err) {
        if (signal.aborted) throw err
        last = err
        log.debug('no manifest from a holder', { peer: source, error: errorMessage(err) })
      }
    }
    throw last
  }

  /**
   * Fetches every chunk not here yet: runs of up to MAX_RUN chunks spread over the sources, each
   * chunk checked against the manifest before it is kept. A source that sends a wrong chunk is
   * dropped (and avoided for a while); a run a source lacks goes to another source.
   */
  const fetchAll = async (t: FetchState, fm: T, stored: () => void): Promise<void> => {
    const stopWorkers = new AbortController()
    const signal = AbortSignal.any([t.abort.signal, stopWorkers.signal])
    /** Read after each await: a pause or a failed worker may have come meanwhile. */
    const halted = (): boolean => signal.aborted
    let sources = sourcesOf(fm)
    const m = await fetchManifest(fm, sources, signal)
    if (fm.chunkBytes !== undefined && m.chunkBytes !== fm.chunkBytes) throw new EnclaveError('bad-frame', 'the manifest\'s chunk size is not the message\'s')
    const missing: number[] = []
    for (const [i, h] of m.chunks.entries()) if (!await blobs.has(h)) missing.push(i)
    t.have = m.chunks.length - missing.length
    t.had = t.have
    t.counted = true
    await roomFor(blobs, missing.length * (m.chunkBytes + 16))
    // Runs of consecutive missing chunks, each tried at sources in turn.
    const runs: number[][] = []
    for (const i of missing) {
      const run = runs.at(-1)
      if (run !== undefined && run.length < MAX_RUN && run.at(-1) === i - 1) run.push(i)
      else runs.push([i])
    }
    const tried = new Map<number[], Set<PeerIdString>>()
    /** Sources serving a run now: one run at a time each (see `workers` below). */
    const busy = new Set<PeerIdString>()
    /** Sources that lacked every chunk of a run: asked only when no other may have it (they may be fetching the file themselves). */
    const lackers = new Set<PeerIdString>()
    /** Settles when a source is free again, or the transfer stops. */
    let freed = signalled()
    const stopping = new Promise<void>((resolve) => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    const release = (source: PeerIdString): void => {
      busy.delete(source)
      const was = freed
      freed = signalled()
      was.resolve()
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (!halted()) {
        const run = runs[next]
        if (run === undefined) return
        next++
        for (;;) {
          sources = sources.filter((p) => (penalised.get(p) ?? 0) < Date.now())
          const seen = tried.get(run) ?? new Set<PeerIdString>()
          tried.set(run, seen)
          const candidates = sources.filter((p) => !seen.has(p))
          if (candidates.length === 0) throw new EnclaveError('peer-unreachable', 'no reachable member holds the rest of this file')
          // A free source likely to hold the run; a busy one is waited for rather than a lacker asked.
          const likely = candidates.filter((p) => !lackers.has(p))
          const source = (likely.length > 0 ? likely : candidates).find((p) => !busy.has(p))
          if (source === undefined) {
            await Promise.race([freed.promise, stopping])
            if (halted()) return
            continue
          }
          seen.add(source)
          busy.add(source)
          const asked = run.length
          const lacking: number[] = []
          try {
            const first = run[0] ?? 0
            const stream = await protocols.dial(source, FILES_PROTOCOL, AbortSignal.any([signal, AbortSignal.timeout(15_000)]))
            // A pause, a failed worker or a holder that stalls ends the run's stream, not just its dial.
            const ended = AbortSignal.any([signal, AbortSignal.timeout(RUN_TIMEOUT_MS)])
            const endRun = (): void => { stream.abort(new EnclaveError('peer-unreachable', 'the run of chunks was stopped')) }
            ended.addEventListener('abort', endRun, { once: true })
            // Chunks are written while the next ones arrive (a few at once): a run that waited for
            // each write before reading on kept one chunk in flight per stream.
            const writes = new Set<Promise<void>>()
            const store = async (expected: Uint8Array, bytes: Uint8Array): Promise<void> => {
              await blobs.put(expected, bytes, { verified: true })
              t.have++
              t.fetched++
              t.fetchedBytes += bytes.byteLength
              t.from.set(source, (t.from.get(source) ?? 0) + 1)
              stored()
            }
            try {
              await askChunks(stream, fm.conv, fm.root, first, run.length, async (index, bytes) => {
                const expected = m.chunks[index]
                if (bytes === undefined || expected === undefined) { lacking.push(index); return }
                if (!equalBytes(sha256(bytes), expected)) {
                  penalised.set(source, Date.now() + PENALTY_MS)
                  log.warn('a holder sent a chunk that is not the file\'s; asking others', { peer: source, file: fm.conv, index, code: 'bad-frame' })
                  throw new EnclaveError('bad-frame', `chunk ${index} does not match the file's manifest`)
                }
                const write = store(expected, bytes)
                writes.add(write)
                void write.catch(() => undefined).finally(() => writes.delete(write))
                if (writes.size >= WRITES_IN_FLIGHT) await Promise.race(writes)
              })
            } catch (err) {
              // Every write of this run settles before the run counts as failed…
              await Promise.allSettled(writes)
              throw err
            } finally {
              ended.removeEventListener('abort', endRun)
            }
            // …or as done: a write that failed fails the run.
            const failed = (await Promise.allSettled(writes)).find((r): r is PromiseRejectedResult => r.status === 'rejected')
            if (failed !== undefined) throw failed.reason
          } catch (err) {
            if (halted()) return
            log.debug('a run of chunks failed at a holder', { peer: source, error: errorMessage(err) })
            const left = run.filter((i) => !lacking.includes(i))
            // Whatever arrived is kept; what did not is asked of the next source.
            const still: number[] = []
            for (const i of left) { const h = m.chunks[i]; if (h !== undefined && !await blobs.has(h)) still.push(i) }
            run.splice(0, run.length, ...still)
            if (run.length === 0) break
            continue
          } finally {
            release(source)
          }
          if (lacking.length === asked) lackers.add(source)
          if (lacking.length === 0) break
          run.splice(0, run.length, ...lacking)
        }
      }
    }
    // One run at a time per source: more streams from one holder cost both sides CPU (window
    // updates, pauses) and memory for nothing (bench:files, 512 MiB from one holder: 1, 2, 4 and 8
    // runs gave 191, 164, 139 and 146 MiB/s, the receiver spending 5.1, 5.6, 8.3 and 8.3 s of CPU
    // a GiB, its RSS growing 36, 42, 88 and 110 MiB). Members that lack the file are asked last.
    const workers = Math.max(1, Math.min(parallelRuns, sources.length))
    // One worker failing (no source left for its run) stops the others before the transfer ends.
    const results = await Promise.allSettled(Array.from({ length: workers }, async () => {
      try { await worker() } catch (err) { stopWorkers.abort(); throw err }
    }))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    if (t.abort.signal.aborted) return
    if (await countIn(blobs, m) !== m.chunks.length) throw new EnclaveError('peer-unreachable', 'some chunks are still missing')
  }

  return { fetchAll }
}
