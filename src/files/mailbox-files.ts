import { EnclaveError, errorMessage } from '../errors.js'
import { chunkCount, hex, unhex } from './file-seal.js'
import { countIn, createChunkFetcher, manifestIn, newFetchState, type FetchState, type FetchTarget } from './chunk-fetcher.js'
import type { BlobStore } from './blob-store.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Collection } from '../store/store.js'

/*
 * A mailbox holding files for members who are away (docs/protocol.md, Files, "Mailboxes"). A
 * member sharing a file while a colleague is offline asks each mailbox of the conversation's
 * workspace to hold it (`hold`). The mailbox takes room for it under the member's quota, then
 * fetches the file from that member like anyone would (manifest checked against the root, every
 * chunk against the manifest), and serves it to the devices the member named, which come to it
 * as to any holder. It holds ciphertext only: the file's key is in the MLS message, and a
 * mailbox is in no group. A deposit goes once every named device has been served every chunk,
 * or when it is older than the retention.
 */

export interface MailboxFileLimits {
  /** Bytes of files one member may have waiting at this mailbox. @default 2 GiB */
  memberBytes?: number
  /** A file not collected after this long is deleted. @default 14 days */
  retentionMs?: number
}

/** One file held here: who left it, for whom, and whether all of it has arrived. */
export interface FileDeposit {
  size: number
  from: PeerIdString
  at: number
  /** The conversations it was left for, each with the devices that may collect it there. */
  holds: Array<{ conv: ConversationId; for: PeerIdString[] }>
  complete: boolean
}

export interface MailboxFilesComponents {
  blobs: BlobStore
  deposits: Collection<FileDeposit>
  protocols: Pick<ProtocolHost, 'dial'>
  bus: CoreBus
  log: Logger
  penalised: Map<string, number>
  isConnected: (peer: PeerIdString) => boolean
  /** Does this device hold the root for its own sake too (then its chunks outlive the deposit)? */
  ownsRoot: (root: string) => boolean
}

export interface MailboxFiles {
  hold(from: PeerIdString, conv: ConversationId, root: Uint8Array, size: number, forDevices: PeerIdString[]): Promise<void>
  /** May `from` collect this file here? */
  mayServe(from: PeerIdString, conv: ConversationId, root: Uint8Array): boolean
  /** `to` was sent chunk `index`: once it has had every chunk it is done with the deposit. */
  served(to: PeerIdString, root: Uint8Array, index: number): void
  start(): Promise<void>
  stop(): Promise<void>
}

/** Deposit targets: the member who left the file is its one source (nobody else serves a mailbox). */
interface DepositTarget extends FetchTarget { from: PeerIdString }

const RETRY_EVERY_MS = 30_000
/** Files one member may have waiting here at once, whatever their size (each costs a record and a fetch). */
const MAX_DEPOSITS_PER_MEMBER = 2_000

export function createMailboxFiles(components: MailboxFilesComponents, limits: MailboxFileLimits = {}): MailboxFiles {
  const { blobs, deposits, protocols, bus, log, penalised } = components
  const memberBytes = limits.memberBytes ?? 2 * 1024 ** 3
  const retentionMs = limits.retentionMs ?? 14 * 24 * 3600_000
  const held = new Map<string, FileDeposit>()
  const fetching = new Map<string, FetchState & { done: Promise<void> }>()
  /** Chunks each device has collected, per root: in memory only (a restart leaves the retention to clear it). */
  const collected = new Map<string, Map<PeerIdString, Set<number>>>()
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let offReady: (() => void) | undefined

  const fetcher = createChunkFetcher<DepositTarget>({ blobs, protocols, log, penalised, sourcesOf: (t) => [t.from], parallelRuns: 1 })

  const usageOf = (from: PeerIdString): { bytes: number; files: number } => {
    let bytes = 0
    let files = 0
    for (const d of held.values()) if (d.from === from) { bytes += d.size; files++ }
    return { bytes, files }
  }

  const fetchDeposit = (root: string, d: FileDeposit): void => {
    if (stopped || d.complete || fetching.has(root)) return
    const first = d.holds[0]
    if (first === undefined) return
    const state = { ...newFetchState(), done: Promise.resolve() }
    fetching.set(root, state)
    state.done = (async () => {
      try {
        await fetcher.fetchAll(state, { conv: first.conv, root: unhex(root), size: d.size, from: d.from }, () => undefined)
        if (state.abort.signal.aborted || held.get(root) !== d) return
        d.complete = true
        await deposits.put(root, d)
        log.info('holding a file for members away', { root, from: d.from, bytes: d.size, for: d.holds.reduce((n, h) => n + h.for.length, 0) })
      } catch (err) {
        if (!state.abort.signal.aborted) log.info('could not fetch a file left here yet', { root, from: d.from, error: errorMessage(err) })
      } finally {
        fetching.delete(root)
      }
    })()
  }

  /** Deletes a deposit and, unless this device keeps the file for itself, its chunks. */
  const drop = async (root: string, why: string): Promise<void> => {
    const d = held.get(root)
    if (d === undefined) return
    held.delete(root)
    collected.delete(root)
    const f = fetching.get(root)
    f?.abort.abort()
    await f?.done
    await deposits.del(root)
    if (!components.ownsRoot(root)) {
      const m = await manifestIn(blobs, unhex(root), d.size).catch(() => undefined)
      for (const h of m?.chunks ?? []) await blobs.delete(h)
      await blobs.delete(unhex(root))
    }
    log.info('a file held here is gone', { root, why })
  }

  const sweep = async (): Promise<void> => {
    const now = Date.now()
    for (const [root, d] of [...held]) if (now - d.at > retentionMs) await drop(root, 'retention')
  }

  const onReady = (peer: PeerIdString): void => {
    for (const [root, d] of held) if (d.from === peer) fetchDeposit(root, d)
  }

  return {
    hold: async (from, conv, root, size, forDevices) => {
      const key = hex(root)
      const d = held.get(key)
      const devices = [...new Set(forDevices)].filter((p) => p !== from)
      if (d !== undefined) {
        // The same file again (another conversation, or the same one asked twice): one copy, counted once.
        const there = d.holds.find((h) => h.conv === conv)
        if (there === undefined) d.holds.push({ conv, for: devices })
        else there.for = [...new Set([...there.for, ...devices])]
        await deposits.put(key, d)
        return
      }
      const usage = usageOf(from)
      if (usage.files >= MAX_DEPOSITS_PER_MEMBER) throw new EnclaveError('over-quota', 'this member has too many files waiting at the mailbox')
      if (usage.bytes + size > memberBytes) throw new EnclaveError('over-quota', 'this member has too many files waiting at the mailbox')
      if (!blobs.fits(size + chunkCount(size) * 16)) throw new EnclaveError('over-quota', 'the mailbox\'s file store is full')
      const deposit: FileDeposit = { size, from, at: Date.now(), holds: [{ conv, for: devices }], complete: false }
      held.set(key, deposit)
      await deposits.put(key, deposit)
      log.info('a member left a file here', { root: key, from, bytes: size, for: devices.length })
      fetchDeposit(key, deposit)
    },

    mayServe: (from, conv, root) => {
      const d = held.get(hex(root))
      return d !== undefined && (d.from === from || d.holds.some((h) => h.conv === conv && h.for.includes(from)))
    },

    served: (to, root, index) => {
      const key = hex(root)
      const d = held.get(key)
      if (d === undefined || to === d.from) return
      const byDevice = collected.get(key) ?? new Map<PeerIdString, Set<number>>()
      collected.set(key, byDevice)
      const got = byDevice.get(to) ?? new Set<number>()
      byDevice.set(to, got)
      got.add(index)
      if (got.size < chunkCount(d.size)) return
      // Collected whole: this device is done with the deposit, and the deposit once nobody is left.
      for (const h of d.holds) h.for = h.for.filter((p) => p !== to)
      byDevice.delete(to)
      const left = d.holds.some((h) => h.for.length > 0)
      void (left ? deposits.put(key, d) : drop(key, 'collected by everyone')).catch((err: unknown) => { log.warn('could not update a file held here', { root: key, error: errorMessage(err) }) })
    },

    start: async () => {
      for await (const [root, d] of deposits.entries()) held.set(root, d)
      await sweep()
      for (const [root, d] of held) {
        // Chunks fetched before a restart count; the rest is fetched when the member is back.
        if (!d.complete) {
          const m = await manifestIn(blobs, unhex(root), d.size).catch(() => undefined)
          if (m !== undefined && await countIn(blobs, m) === m.chunks.length) { d.complete = true; await deposits.put(root, d) }
        }
        if (!d.complete && components.isConnected(d.from)) fetchDeposit(root, d)
      }
      offReady = bus.on('peer:ready', onReady)
      timer = setInterval(() => {
        void sweep().catch((err: unknown) => { log.warn('could not sweep files held here', { error: errorMessage(err) }) })
        for (const [root, d] of held) if (components.isConnected(d.from)) fetchDeposit(root, d)
      }, Math.min(RETRY_EVERY_MS, retentionMs / 4)).unref()
    },

    stop: async () => {
      stopped = true
      clearInterval(timer)
      offReady?.()
      for (const f of fetching.values()) f.abort.abort()
      await Promise.all([...fetching.values()].map((f) => f.done))
    }
  }
}
