import { EnclaveError, errorMessage } from '../errors.js'
import { MAX_WORKSPACE_RELAYS } from '../limits.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { Collection } from '../store/store.js'

/** Where this device got a relay from: `--relay`, a workspace or invite, or added in Settings. */
export type RelaySource = 'configured' | 'workspace' | 'added'

export interface RelayList {
  /** Every relay this device was given: configured, added in Settings, then learned this run. */
  all(): string[]
  /** Where each relay came from (the first source that named it). */
  sources(): Array<{ address: string; source: RelaySource }>
  /** Is `peer` one of those relays (kept connected although it is no member)? */
  isRelay: (peer: string) => boolean
  /** Keeps `address` as a relay of this device from now on, across restarts, and dials it. */
  add(address: string): Promise<void>
  /** Dials the configured and added relays. */
  start(): void
}

export interface RelayListComponents {
  bus: CoreBus
  log: Logger
  /** Dials a full multiaddr and keeps the peer (the peer book redials it when it drops). */
  dial: (address: string) => Promise<unknown>
  /** Where relays added in Settings are kept (the store's sealed `meta`). */
  meta: Collection<string[]>
  /**
   * Makes sure this device holds a reservation on the relay at `address` once connected; throws
   * while it cannot (no free slot yet). libp2p reserves only when it meets a relay, so a relay
   * met while the slot was still held elsewhere (a colleague's device that is letting it go) was
   * never reserved on.
   */
  reserve?: (address: string) => Promise<void>
}

/** Tries to reserve on a relay this long at most, doubling the wait from 1 s. */
const RESERVE_TRIES = 7

const ADDED_KEY = 'relays.added'

/** Relays added in Settings on an earlier run: read before the node is made, which needs a reservation slot per relay. */
export async function loadAddedRelays(meta: Collection<string[]>): Promise<string[]> {
  const saved = await meta.get(ADDED_KEY)
  return Array.isArray(saved) ? saved.filter((r) => typeof r === 'string') : []
}

/**
 * The relays this device keeps a reservation on: those it was started with, those added in
 * Settings (kept in the store), and those a workspace lists or an invite came through
 * (`relays:learned`). Each is dialled once; from then on the peer book keeps it connected,
 * across restarts too.
 */
export function createRelayList({ bus, log, dial, meta, reserve }: RelayListComponents, configured: string[], added: string[] = []): RelayList {
  const learned = new Set<string>()
  let own = [...new Set(added)]
  const reserveSoon = async (address: string): Promise<void> => {
    if (reserve === undefined) return
    for (let attempt = 0; ; attempt++) {
      try {
        await reserve(address)
        return
      } catch (err) {
        if (attempt + 1 >= RESERVE_TRIES) { log.info('no reservation on a relay yet; the next connection tries again', { relay: address, error: errorMessage(err) }); return }
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt).unref())
      }
    }
  }
  const use = (address: string, why: string): void => {
    dial(address)
      .then(() => reserveSoon(address))
      .catch((err: unknown) => { log.warn(`could not reach ${why} yet; will keep trying`, { relay: address, error: errorMessage(err) }) })
  }
  bus.on('relays:learned', (relays) => {
    for (const relay of relays) {
      if (learned.has(relay) || configured.includes(relay) || own.includes(relay)) continue
      learned.add(relay)
      use(relay, 'a workspace relay')
    }
  })
  const sources = (): Array<{ address: string; source: RelaySource }> => {
    const seen = new Map<string, RelaySource>()
    for (const address of configured) if (!seen.has(address)) seen.set(address, 'configured')
    for (const address of own) if (!seen.has(address)) seen.set(address, 'added')
    for (const address of learned) if (!seen.has(address)) seen.set(address, 'workspace')
    return [...seen].map(([address, source]) => ({ address, source }))
  }
  const all = (): string[] => sources().map((r) => r.address)
  return {
    all,
    sources,
    isRelay: (peer) => all().some((r) => r.endsWith(`/p2p/${peer}`)),
    add: async (address) => {
      if (own.includes(address)) return
      if (own.length >= MAX_WORKSPACE_RELAYS) throw new EnclaveError('too-large', `at most ${MAX_WORKSPACE_RELAYS} relays can be added`)
      own = [...own, address]
      await meta.put(ADDED_KEY, own)
      if (!configured.includes(address) && !learned.has(address)) use(address, 'an added relay')
    },
    start: () => {
      for (const relay of configured) use(relay, 'a configured relay')
      for (const relay of own) if (!configured.includes(relay)) use(relay, 'an added relay')
    }
  }
}
