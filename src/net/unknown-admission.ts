/**
 * Which raw inbound connections may start a Noise handshake while this device is in a workspace.
 * Nothing tells a member from a stranger before the handshake, and the handshake is what a
 * stranger costs most: key agreement and a signature check for every throwaway id (bench:hostile
 * saw 1,374 handshakes in 30 s end in a refusal at the gater, ~4 ms of CPU each). So an address
 * may have at most so many unknown peers connected or handshaking at once; beyond that it gets
 * one handshake now and then, so a member behind the same address (an office NAT, a relay) still
 * gets in, a little later, while a flood of fresh ids is turned away before any cryptography.
 * A stranger's connection that closes (refused, hung up after its grace, closed for opening too
 * many streams) keeps its address's place until its grace would have ended: a fresh id cannot
 * take it over at once and start again.
 */

export interface UnknownAdmissionInit {
  /** Unknown peers' connections, open or handshaking, from one address. */
  perAddress: number
  /** Unknown peers' connections, open or handshaking, from everywhere. */
  total: number
  /** Over a limit, one more handshake per address (and in all) at most this often. @default 1 s */
  trickleMs?: number
  /** A handshake not settled after this long no longer counts (its end was missed). @default 30 s */
  staleMs?: number
  now?: () => number
}

/** Unknown peers' connections open now: all of them, and those from the asking address. */
export interface OpenUnknown { all: number; fromHost: number }

export interface UnknownAdmission {
  /** A raw inbound connection from `host` arrived: may its handshake start? `handshake` names it until `settled`. */
  admit(host: string | undefined, handshake: object, open: OpenUnknown): boolean
  /** Its handshake finished (the peer is known by its id now) or failed. */
  settled(handshake: object): void
  /** An unknown peer's connection from `host` closed: its place stays taken until `until` (ms). */
  linger(host: string | undefined, until: number): void
  /** Handshakes under way and places kept (tests, logs). */
  pending(): number
}

export function createUnknownAdmission(init: UnknownAdmissionInit): UnknownAdmission {
  const { perAddress, total, trickleMs = 1000, staleMs = 30_000, now = Date.now } = init
  /** Handshakes under way and places kept after a close, each until it expires. */
  const handshakes = new Map<object, { host: string; expires: number }>()
  const perHost = new Map<string, number>()
  /** When each address (and '' for everyone) last got a handshake beyond its limit; forgotten after `trickleMs`. */
  const lastExtra = new Map<string, number>()
  const EVERYONE = '\u0000all'

  const settle = (handshake: object): void => {
    const entry = handshakes.get(handshake)
    if (entry === undefined) return
    handshakes.delete(handshake)
    const n = (perHost.get(entry.host) ?? 1) - 1
    if (n <= 0) perHost.delete(entry.host)
    else perHost.set(entry.host, n)
  }
  const take = (handshake: object, host: string, expires: number): void => {
    handshakes.set(handshake, { host, expires })
    perHost.set(host, (perHost.get(host) ?? 0) + 1)
  }
  const prune = (t: number): void => {
    for (const [h, entry] of handshakes) if (t >= entry.expires) settle(h)
    for (const [k, at] of lastExtra) if (t - at >= trickleMs) lastExtra.delete(k)
  }

  return {
    admit: (host, handshake, open) => {
      const t = now()
      prune(t)
      const key = host ?? ''
      const fromHost = (perHost.get(key) ?? 0) + open.fromHost
      const all = handshakes.size + open.all
      const overHost = fromHost >= perAddress
      const overAll = all >= total
      if (overHost || overAll) {
        // One now and then: a member among the crowd gets its turn on a retry.
        if ((overHost && lastExtra.has(key)) || (overAll && lastExtra.has(EVERYONE))) return false
        if (overHost) lastExtra.set(key, t)
        if (overAll) lastExtra.set(EVERYONE, t)
      }
      take(handshake, key, t + staleMs)
      return true
    },
    settled: settle,
    linger: (host, until) => {
      if (until > now()) take({}, host ?? '', until)
    },
    pending: () => handshakes.size
  }
}
