import { errorMessage } from '../errors.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'

export interface RelayList {
  /** Every relay this device was given: configured, then learned this run. */
  all(): string[]
  /** Is `peer` one of those relays (kept connected although it is no member)? */
  isRelay: (peer: string) => boolean
  /** Dials the configured relays. */
  start(): void
}

export interface RelayListComponents {
  bus: CoreBus
  log: Logger
  /** Dials a full multiaddr and keeps the peer (the peer book redials it when it drops). */
  dial: (address: string) => Promise<unknown>
}

/**
 * The relays this device keeps a reservation on: those it was started with, and those a workspace
 * lists or an invite came through (`relays:learned`). Each is dialled once; from then on the peer
 * book keeps it connected, across restarts too.
 */
export function createRelayList({ bus, log, dial }: RelayListComponents, configured: string[]): RelayList {
  const learned = new Set<string>()
  const use = (address: string, why: string): void => {
    dial(address).catch((err: unknown) => { log.warn(`could not reach ${why} yet; will keep trying`, { relay: address, error: errorMessage(err) }) })
  }
  bus.on('relays:learned', (relays) => {
    for (const relay of relays) {
      if (learned.has(relay) || configured.includes(relay)) continue
      learned.add(relay)
      use(relay, 'a workspace relay')
    }
  })
  const all = (): string[] => [...new Set([...configured, ...learned])]
  return {
    all,
    isRelay: (peer) => all().some((r) => r.endsWith(`/p2p/${peer}`)),
    start: () => { for (const relay of configured) use(relay, 'a configured relay') }
  }
}
