import { networkInterfaces } from 'node:os'
import type { Logger } from '../logger.js'

export type NetworkChange = 'addresses' | 'wake'

export interface NetworkWatchInit {
  /** How often interfaces are read and the clock checked. @default 2 s */
  intervalMs?: number
  /** A tick this much later than due means the machine slept (or the process was frozen). @default 10 s */
  wakeSlackMs?: number
  /** Reads this machine's addresses; tests pass their own. */
  addresses?: () => string[]
}

export interface NetworkWatch {
  stop(): void
}

/** This machine's non-loopback addresses, sorted: what changes when Wi-Fi, a cable or a VPN comes and goes. */
export function externalAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((i) => !i.internal).map((i) => i.address)).sort()
}

/**
 * Tells when this machine's network changed or it woke from sleep. Neither reaches Node as an
 * event, and libp2p notices a dead connection only when a ping times out; meanwhile the redial
 * backoff grew while the network was down. Reading the interfaces every few seconds costs
 * microseconds; a late timer tick is how a process learns it was suspended.
 */
export function watchNetwork(onChange: (why: NetworkChange) => void, init: NetworkWatchInit = {}): NetworkWatch {
  const intervalMs = init.intervalMs ?? 2_000
  const slack = init.wakeSlackMs ?? 10_000
  const read = init.addresses ?? externalAddresses
  let last = read().join(',')
  let due = Date.now() + intervalMs
  const timer = setInterval(() => {
    const now = Date.now()
    const late = now - due
    due = now + intervalMs
    const current = read().join(',')
    if (late > slack) onChange('wake')
    else if (current !== last) onChange('addresses')
    last = current
  }, intervalMs)
  timer.unref()
  return { stop: () => { clearInterval(timer) } }
}

/**
 * After a network change or a wake from sleep, every known peer is redialled at once instead of
 * when a backoff that grew while the network was down ends.
 */
export function createReconnectOnChange(reconnect: () => void, log: Logger): { start(): void; stop(): void } {
  let watch: NetworkWatch | undefined
  return {
    start: () => {
      watch = watchNetwork((why) => {
        log.info('network changed; reconnecting', { why })
        reconnect()
      })
    },
    stop: () => { watch?.stop() }
  }
}
