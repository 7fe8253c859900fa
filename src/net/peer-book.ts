import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { EnclaveError, errorMessage } from '../errors.js'
import { parsePeerId, peerIdOf } from '../ids.js'
import type { ChosenPresence, ConnectionFailureView, Emit, PeerIdString, PeerPath, PeerView, Presence } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import { loadPeerRecords, type PeerRecord, type PeerRecordsInit } from './peer-records.js'
import type { NetNode } from './libp2p-node.js'
import type { Connection, PeerId } from '@libp2p/interface'

export interface PeerBookInit extends PeerRecordsInit {
  /** First redial delay for a known peer that went away; doubles up to `maxBackoffMs`. @default 1 s */
  minBackoffMs?: number
  /** @default 60 s */
  maxBackoffMs?: number
  /** How often peers reached only through a relay are tried directly; 0 never. @default 10 s */
  upgradeIntervalMs?: number
  /** Full multiaddrs of peers configured to be dialled at start (`--peer`), then kept like any known peer. */
  dialAtStart?: string[]
  /** A peer found on the LAN (mDNS) is dialled at most this often while it proves nothing. @default 10 min */
  discoveryRedialMs?: number
}

/** A connection as the peer book sees it. */
type PeerConnection = Pick<Connection, 'status' | 'remoteAddr' | 'remotePeer' | 'close' | 'abort'>

/** What the peer book uses of the libp2p node (a small fake in unit tests). */
export interface PeerBookNode extends Pick<NetNode, 'addEventListener' | 'removeEventListener'> {
  readonly peerId: PeerId
  readonly peerStore: { merge(peer: PeerId, data: { multiaddrs: Multiaddr[] }): Promise<unknown>; delete(peer: PeerId): Promise<void> }
  readonly services: { ping: { ping(peer: PeerId, options?: { signal?: AbortSignal }): Promise<number> } }
  getConnections(peer?: PeerId): PeerConnection[]
  dial(target: PeerId | Multiaddr, options?: { signal?: AbortSignal; force?: boolean }): Promise<unknown>
}

export interface PeerBookComponents {
  node: PeerBookNode
  store: Pick<Store, 'collection'>
  log: Logger
  emit: Emit
  bus: CoreBus
  /** Has this peer proved membership of a workspace of this device? False while in none. */
  isMember: (peer: string) => boolean
  /** Is this device in any workspace? If not, nobody can prove membership and old records are kept. */
  inWorkspace: () => boolean
  /** Runs identify again on the peer's connection (its answer arrives as `peer:identify`). */
  reidentify?: (peer: PeerIdString) => Promise<unknown>
}


/** How long a connection has to answer a ping after the network changed. */
const PROBE_MS = 3_000
/** A direct dial to a relayed peer: a LAN answers in milliseconds, but a loaded machine's handshake can take seconds. */
const UPGRADE_DIAL_MS = 10_000

/** Failures kept for the health panel: the most recent ones are what explain a problem. */
const MAX_FAILURES = 20
/** LAN peers whose last dial is remembered this run (for `discoveryRedialMs`). */
const MAX_DISCOVERED = 1_000
/** How often expired records are swept while running. */
const SWEEP_MS = 6 * 3600_000

/** A stored address, or nothing if it no longer parses (written by an older version). */
function parseAddress(address: string): Multiaddr[] {
  try {
    return [multiaddr(address)]
  } catch {
    return []
  }
}

export interface PeerBook {
  list(): PeerView[]
  /** Recent failed connection attempts, newest first. */
  failures(): ConnectionFailureView[]
  /**
   * The network changed or the machine woke up: every known peer is dialled now, its backoff
   * reset, rather than at the end of a backoff that grew while the network was down.
   */
  reconnectNow(): void
  /** Dials a full multiaddr (ending in `/p2p/<id>`), keeps the peer (dialled on purpose), resolves once connected. */
  dial(address: string): Promise<PeerView>
  /** Records the name and presence a peer announced and tells the shells. */
  setProfile(peer: PeerIdString, displayName: string, presence: ChosenPresence): Promise<void>
  /** `offline` unless connected; then what the peer chose. */
  presence(peer: PeerIdString): Presence
  isConnected(peer: PeerIdString): boolean
  /** Redials the peers of earlier runs and starts trying relayed peers directly. */
  start(): void
  stop(): void
}

/**
 * The peers this device keeps across restarts, with the addresses they announced, so queued
 * messages find their recipient again: members that proved membership here, peers dialled on
 * purpose and relays (docs/protocol.md, Gating). A stranger's identify is neither written down
 * nor redialled, so no peer can turn this device into a dialler at addresses it chooses. Kept
 * peers that drop are redialled with exponential backoff (capped) until their record expires.
 * Peers connected now and ready (`peer:ready`) are listed too, kept or not.
 */
export async function createPeerBook(components: PeerBookComponents, init: PeerBookInit = {}): Promise<PeerBook> {
  const { node, log, emit, isMember } = components
  const minBackoff = init.minBackoffMs ?? 1000
  const maxBackoff = init.maxBackoffMs ?? 60_000
  const discoveryRedialMs = init.discoveryRedialMs ?? 10 * 60_000
  const upgradeMs = init.upgradeIntervalMs ?? 10_000
  // Old records (every peer identify ever reported) stay only for members; while this device is
  // in no workspace nobody can prove anything, and they are what its 1:1 chats rely on.
  const records = await loadPeerRecords(components.store.collection<PeerRecord>('peers'), log, (peer) => isMember(peer) ? 'member' : components.inWorkspace() ? null : 'dialled', init)
  /** Connected peers that are ready on this connection: listed while connected. */
  const ready = new Set<PeerIdString>()
  /** What connected peers that are not kept announced: addresses (kept if they prove membership), name and presence. */
  const passing = new Map<PeerIdString, { addresses: string[]; displayName?: string; presence?: ChosenPresence }>()
  const discovered = new Map<PeerIdString, number>()
  const redial = new Map<PeerIdString, { timer: NodeJS.Timeout }>()
  let stopped = false
  const failures: ConnectionFailureView[] = []
  const failed = (peerId: PeerIdString, attempt: ConnectionFailureView['attempt'], err: unknown): void => {
    const failure: ConnectionFailureView = { at: Date.now(), peerId, attempt, reason: errorMessage(err).slice(0, 300) }
    failures.unshift(failure)
    failures.length = Math.min(failures.length, MAX_FAILURES)
    components.bus.emit('connection:failed', failure)
  }

  for (const peer of records.peers()) {
    const addresses = records.get(peer)?.addresses ?? []
    await node.peerStore.merge(peerIdFromString(peer), { multiaddrs: addresses.flatMap(parseAddress) }).catch(() => undefined)
  }

  const openConnections = (peer: PeerIdString): PeerConnection[] => node.getConnections(peerIdFromString(peer)).filter((c) => c.status === 'open')
  const isConnected = (peer: PeerIdString): boolean => openConnections(peer).length > 0
  const isRelayed = (c: PeerConnection): boolean => c.remoteAddr.toString().includes('/p2p-circuit')
  /** Peers first reached through a relay in this run: a direct path to them is an upgrade. */
  const wasRelayed = new Set<PeerIdString>()

  const pathOf = (peer: PeerIdString): PeerPath => {
    const open = openConnections(peer)
    if (open.length === 0) return 'offline'
    if (open.every(isRelayed)) return 'relayed'
    return wasRelayed.has(peer) ? 'upgraded' : 'direct'
  }

  /** The device carrying a relayed connection: the id before `/p2p-circuit` in its address. */
  const viaOf = (peer: PeerIdString): PeerIdString | null => {
    const open = openConnections(peer)
    if (open.length === 0 || !open.every(isRelayed)) return null
    const match = /\/p2p\/([1-9A-HJ-NP-Za-km-z]+)\/p2p-circuit/.exec(open[0]?.remoteAddr.toString() ?? '')
    if (match?.[1] === undefined) return null
    try { return parsePeerId(match[1]) } catch { return null }
  }

  const view = (peer: PeerIdString): PeerView => {
    const record = records.get(peer)
    const heard = passing.get(peer)
    const connected = isConnected(peer)
    const presence = record?.presence ?? heard?.presence ?? 'online'
    return { peerId: peer, displayName: record?.displayName ?? heard?.displayName ?? null, connected, presence: connected ? presence : 'offline', addresses: record?.addresses ?? heard?.addresses ?? [], lastSeen: record?.lastSeen ?? (connected ? Date.now() : null), path: pathOf(peer), via: viaOf(peer) }
  }
  const changed = (peer: PeerIdString): void => {
    if (records.get(peer) !== undefined || ready.has(peer)) emit('peers.changed', view(peer))
  }

  const scheduleRedial = (peer: PeerIdString, firstDelay = minBackoff): void => {
    if (stopped || records.get(peer) === undefined || isConnected(peer)) return
    if (records.expired(peer)) { void records.forget(peer); return }
    if (redial.has(peer)) return
    const attempt = (delay: number): void => {
      const timer = setTimeout(() => {
        if (stopped) return
        if (isConnected(peer) || records.get(peer) === undefined) { redial.delete(peer); return }
        // A peer unreachable for as long as records last is let go: it may never come back.
        if (records.expired(peer)) { redial.delete(peer); void records.forget(peer); return }
        node.dial(peerIdFromString(peer)).then(() => { redial.delete(peer) }, (err: unknown) => {
          const next = Math.min(Math.max(delay * 2, minBackoff), maxBackoff)
          failed(peer, 'redial', err)
          log.debug('redial failed', { peer, error: errorMessage(err), nextMs: next })
          attempt(next)
        })
      }, delay)
      timer.unref()
      redial.set(peer, { timer })
    }
    attempt(firstDelay)
  }

  const onConnect = (evt: CustomEvent<PeerId>): void => {
    const peer = peerIdOf(evt.detail)
    if (openConnections(peer).some(isRelayed)) wasRelayed.add(peer)
    const pending = redial.get(peer)
    if (pending !== undefined) { clearTimeout(pending.timer); redial.delete(peer) }
    void records.update(peer, { seen: true })
    changed(peer)
  }
  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = peerIdOf(evt.detail)
    if (isConnected(peer)) return
    void records.update(peer, { seen: true })
    changed(peer)
    ready.delete(peer)
    passing.delete(peer)
    wasRelayed.delete(peer)
    if (records.get(peer) !== undefined) { scheduleRedial(peer); return }
    // libp2p keeps what identify said of every peer in memory; a stranger's entry would only grow
    // it. In no workspace nobody is a stranger: a peer that dialled in is dialled back from there.
    if (components.inWorkspace() && !isMember(peer)) node.peerStore.delete(evt.detail).catch(() => undefined)
  }
  const onIdentify = (evt: CustomEvent<{ peerId: PeerId; listenAddrs: Multiaddr[] }>): void => {
    const peer = peerIdOf(evt.detail.peerId)
    // Relayed addresses are kept too: for a colleague in another office they are the only way in.
    const addresses = evt.detail.listenAddrs.map((a) => a.toString())
    if (records.get(peer) !== undefined) {
      // A peer dialled on purpose that proves nothing here (a relay, a stranger) keeps the
      // address it was dialled at: it does not get to add targets for this device to dial.
      const trusted = isMember(peer) || !components.inWorkspace()
      void records.update(peer, trusted ? { addresses, seen: true } : { seen: true }).then(() => {
        changed(peer)
        if (trusted && upgradeMs > 0 && openConnections(peer).every(isRelayed)) tryUpgrades()
      })
      return
    }
    if (!isConnected(peer)) return
    // Not written down: only kept if the peer proves membership on this connection.
    passing.set(peer, { ...passing.get(peer), addresses: addresses.slice(0, 16) })
    // A peer reached through a relay has just said where it listens: try there now rather than
    // at the next round (a NAT lets this side dial out even when the other cannot dial in).
    if (upgradeMs > 0 && openConnections(peer).every(isRelayed)) tryUpgrades()
  }
  const onReady = (peer: PeerIdString): void => {
    if (!isConnected(peer)) return
    ready.add(peer)
    if (!isMember(peer)) { changed(peer); return }
    const heard = passing.get(peer)
    passing.delete(peer)
    void records.keep(peer, 'member', heard?.addresses ?? [], true).then(async () => {
      if (heard?.displayName !== undefined) await records.update(peer, { displayName: heard.displayName, ...(heard.presence === undefined ? {} : { presence: heard.presence }) })
      changed(peer)
    })
  }
  /**
   * A direct conversation keeps its other side (with the name it gave) even when that device
   * only dialled in: otherwise, after a restart while it is away, the conversation would belong
   * to "Unknown device". A conversation is the user's choice or starts with a message its author
   * signed, so nobody gets written down by merely connecting.
   */
  const onConversation = ({ peer }: { peer: PeerIdString | null }): void => {
    if (peer === null || records.get(peer) !== undefined || !isConnected(peer)) return
    // In a workspace only members are written down: a member's DM being marked removed, during
    // its farewell, must not keep the device just removed.
    if (components.inWorkspace() && !isMember(peer)) return
    const heard = passing.get(peer)
    void records.keep(peer, 'conversation', heard?.addresses ?? [], true).then(async () => {
      if (heard?.displayName !== undefined) await records.update(peer, { displayName: heard.displayName, ...(heard.presence === undefined ? {} : { presence: heard.presence }) })
      changed(peer)
    })
  }
  /**
   * A removal ends what membership kept; peers dialled on purpose stay. Once in a workspace, the
   * other side of a conversation from before is kept only if it is a member.
   */
  const onMembershipChanged = (): void => {
    for (const peer of records.peers()) {
      const kept = records.get(peer)?.kept
      const ended = kept === 'member' || (kept === 'conversation' && components.inWorkspace())
      if (ended && !isMember(peer)) void records.forget(peer)
    }
  }
  const onDiscovery = (evt: CustomEvent<{ id: PeerId }>): void => {
    // Peers found on the LAN are dialled once in a while, never written down: a colleague proves
    // membership on that connection and is kept from then on; anyone else is not dialled again soon.
    const peer = peerIdOf(evt.detail.id)
    if (isConnected(peer) || records.get(peer) !== undefined) return
    const last = discovered.get(peer)
    if (last !== undefined && Date.now() - last < discoveryRedialMs) return
    discovered.delete(peer)
    discovered.set(peer, Date.now())
    if (discovered.size > MAX_DISCOVERED) discovered.delete(discovered.keys().next().value as PeerIdString)
    node.dial(evt.detail.id).catch((err: unknown) => { log.debug('dial of discovered peer failed', { peer, error: errorMessage(err) }) })
  }

  node.addEventListener('peer:connect', onConnect)
  node.addEventListener('peer:disconnect', onDisconnect)
  node.addEventListener('peer:identify', onIdentify)
  node.addEventListener('peer:discovery', onDiscovery)
  const unsubscribe = [components.bus.on('peer:ready', onReady), components.bus.on('membership:changed', onMembershipChanged), components.bus.on('conversation:changed', onConversation)]

  /**
   * A peer reached only through a relay is tried directly, now and then, at the addresses it
   * announced (kept ones; in no workspace, those of this connection): when a route appears (a VPN comes up, both laptops are back in the office) the
   * conversation moves off the relay without anyone noticing, and the relayed connection closes.
   */
  const upgrading = new Set<PeerIdString>()
  const tryUpgrades = (): void => {
    for (const conn of node.getConnections()) {
      const peer = peerIdOf(conn.remotePeer)
      if (!isRelayed(conn) || upgrading.has(peer) || !openConnections(peer).every(isRelayed)) continue
      wasRelayed.add(peer)
      // In no workspace nobody can prove anything, so a peer that reached this device through the
      // relay is not kept; what it announced on this connection is still worth a try while it lasts.
      const announced = records.get(peer)?.addresses ?? (components.inWorkspace() ? [] : passing.get(peer)?.addresses ?? [])
      const direct = announced.filter((a) => !a.includes('/p2p-circuit'))
      // Nothing announced at all: its identify never came through (it timed out on a loaded
      // machine), and libp2p does not ask twice. Ask again; the answer brings the next try.
      if (announced.length === 0 && components.reidentify !== undefined && (isMember(peer) || !components.inWorkspace())) {
        components.reidentify(peer).catch((err: unknown) => { log.debug('identify asked again failed', { peer, error: errorMessage(err) }) })
      }
      if (direct.length === 0) continue
      upgrading.add(peer)
      void (async () => {
        let lastError: unknown
        for (const address of direct) {
          try {
            const ma = multiaddr(address).encapsulate(`/p2p/${peer}`)
            await node.dial(ma, { signal: AbortSignal.timeout(UPGRADE_DIAL_MS), force: true })
            for (const c of openConnections(peer).filter(isRelayed)) await c.close().catch(() => undefined)
            log.info('moved a peer off the relay to a direct connection', { peer, address })
            emit('peers.changed', view(peer))
            return
          } catch (err) {
            // No route yet at this address; the next one, or the next round.
            lastError = err
          }
        }
        failed(peer, 'upgrade', lastError)
      })().finally(() => { upgrading.delete(peer) })
    }
  }
  let upgradeTimer: NodeJS.Timeout | undefined
  let sweepTimer: NodeJS.Timeout | undefined
  const sweep = (): void => {
    void records.sweep(isConnected).then((gone) => { if (gone.length > 0) log.info('forgot peers not seen for a long time', { count: gone.length }) })
  }

  const book: PeerBook = {
    list: () => [...new Set([...records.peers(), ...[...ready].filter(isConnected)])].map(view),
    failures: () => failures.map((f) => ({ ...f })),
    reconnectNow: () => {
      for (const { timer } of redial.values()) clearTimeout(timer)
      redial.clear()
      for (const peer of records.peers()) scheduleRedial(peer, 0)
      // Connections made over the old network look open until a ping fails, which libp2p finds
      // out only after its next ping round. Ask each now; close the dead ones, which redials.
      for (const conn of node.getConnections()) {
        node.services.ping.ping(conn.remotePeer, { signal: AbortSignal.timeout(PROBE_MS) }).catch((err: unknown) => {
          log.info('closing a connection that no longer answers', { peer: conn.remotePeer.toString(), error: errorMessage(err) })
          conn.abort(err instanceof Error ? err : new Error(errorMessage(err)))
        })
      }
      tryUpgrades()
    },
    dial: async (address) => {
      let ma: Multiaddr
      try {
        ma = multiaddr(address)
      } catch (err) {
        throw new EnclaveError('bad-request', `not a multiaddr: ${address.slice(0, 200)}`, { cause: err })
      }
      const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
      if (id === undefined) throw new EnclaveError('bad-request', 'the address must end in /p2p/<peerId>')
      const peer = peerIdOf(peerIdFromString(id))
      if (peer === node.peerId.toString()) throw new EnclaveError('bad-request', 'that address is this node itself')
      await records.keep(peer, 'dialled', [ma.decapsulateCode(421).toString()])
      try {
        await node.dial(ma, { signal: AbortSignal.timeout(15_000) })
      } catch (err) {
        failed(peer, 'dial', err)
        scheduleRedial(peer)
        throw new EnclaveError('peer-unreachable', `could not reach ${peer}: ${errorMessage(err)}`, { cause: err })
      }
      return view(peer)
    },
    setProfile: async (peer, displayName, presence) => {
      const old = records.get(peer)
      if (old !== undefined) {
        if (old.displayName === displayName && old.presence === presence) return
        await records.update(peer, { displayName, presence })
      } else {
        // Held while connected only; written down if the peer proves membership.
        if (!isConnected(peer)) return
        passing.set(peer, { addresses: [], ...passing.get(peer), displayName, presence })
      }
      changed(peer)
    },
    presence: (peer) => {
      if (!isConnected(peer)) return 'offline'
      return records.get(peer)?.presence ?? passing.get(peer)?.presence ?? 'online'
    },
    isConnected,
    start: () => {
      sweep()
      sweepTimer = setInterval(sweep, SWEEP_MS).unref()
      // Kept peers from earlier runs: reach out now rather than waiting for them.
      for (const peer of records.peers()) scheduleRedial(peer)
      for (const address of init.dialAtStart ?? []) {
        book.dial(address).catch((err: unknown) => { log.warn('could not reach configured peer yet; will keep trying', { address, error: errorMessage(err) }) })
      }
      if (upgradeMs > 0) upgradeTimer = setInterval(tryUpgrades, upgradeMs).unref()
    },
    stop: () => {
      stopped = true
      clearInterval(upgradeTimer)
      clearInterval(sweepTimer)
      for (const off of unsubscribe) off()
      for (const { timer } of redial.values()) clearTimeout(timer)
      redial.clear()
      node.removeEventListener('peer:connect', onConnect)
      node.removeEventListener('peer:disconnect', onDisconnect)
      node.removeEventListener('peer:identify', onIdentify)
      node.removeEventListener('peer:discovery', onDiscovery)
    }
  }
  return book
}
