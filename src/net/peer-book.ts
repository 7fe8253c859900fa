import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { EnclaveError, errorMessage } from '../errors.js'
import { parseDeviceText, peerIdOf } from '../ids.js'
import type { ChosenPresence, ConnectionFailureView, Emit, PeerIdString, PeerPath, PeerView, Presence } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { NetNode } from './libp2p-node.js'
import type { Connection, PeerId } from '@libp2p/interface'

interface PeerRecord {
  addresses: string[]
  lastSeen: number | null
  /** What the peer calls itself; set by whoever learns it (the profile exchange). */
  displayName?: string | null
  /** What the peer last said it is (away, do not disturb) while connected. */
  presence?: ChosenPresence
}

export interface PeerBookInit {
  /** First redial delay for a known peer that went away; doubles up to `maxBackoffMs`. @default 1 s */
  minBackoffMs?: number
  /** @default 60 s */
  maxBackoffMs?: number
  /** Addresses kept per peer. @default 16 */
  maxAddresses?: number
  /** How often peers reached only through a relay are tried directly; 0 never. @default 10 s */
  upgradeIntervalMs?: number
  /** Full multiaddrs of peers configured to be dialled at start (`--peer`), then kept like any known peer. */
  dialAtStart?: string[]
}

export interface PeerBookComponents {
  node: NetNode
  store: Store
  log: Logger
  emit: Emit
  bus: CoreBus
}


/** How long a connection has to answer a ping after the network changed. */
const PROBE_MS = 3_000

/** Failures kept for the health panel: the most recent ones are what explain a problem. */
const MAX_FAILURES = 20

export interface PeerBook {
  list(): PeerView[]
  /** Recent failed connection attempts, newest first. */
  failures(): ConnectionFailureView[]
  /**
   * The network changed or the machine woke up: every known peer is dialled now, its backoff
   * reset, rather than at the end of a backoff that grew while the network was down.
   */
  reconnectNow(): void
  /** Dials a full multiaddr (ending in `/p2p/<id>`), remembers the peer, resolves once connected. */
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
 * Every peer this device has talked to, with the addresses it announced, kept across restarts
 * so queued messages find their recipient again. Known peers that drop are redialled with
 * exponential backoff forever (capped), so a node never needs a restart to reconnect.
 */
export async function createPeerBook(components: PeerBookComponents, init: PeerBookInit = {}): Promise<PeerBook> {
  const { node, log, emit } = components
  const peers = components.store.collection<PeerRecord>('peers')
  const minBackoff = init.minBackoffMs ?? 1000
  const maxBackoff = init.maxBackoffMs ?? 60_000
  const maxAddresses = init.maxAddresses ?? 16
  const records = new Map<PeerIdString, PeerRecord>()
  const redial = new Map<PeerIdString, { timer: NodeJS.Timeout }>()
  let stopped = false
  const failures: ConnectionFailureView[] = []
  const failed = (peerId: PeerIdString, attempt: ConnectionFailureView['attempt'], err: unknown): void => {
    const failure: ConnectionFailureView = { at: Date.now(), peerId, attempt, reason: errorMessage(err).slice(0, 300) }
    failures.unshift(failure)
    failures.length = Math.min(failures.length, MAX_FAILURES)
    components.bus.emit('connection:failed', failure)
  }

  for await (const [id, record] of peers.entries()) {
    records.set(parseDeviceText(id), record)
    await node.peerStore.merge(peerIdFromString(id), { multiaddrs: record.addresses.map((a) => multiaddr(a)) }).catch(() => undefined)
  }

  const openConnections = (peer: PeerIdString): Connection[] => node.getConnections(peerIdFromString(peer)).filter((c) => c.status === 'open')
  const isConnected = (peer: PeerIdString): boolean => openConnections(peer).length > 0
  const isRelayed = (c: Connection): boolean => c.remoteAddr.toString().includes('/p2p-circuit')
  /** Peers first reached through a relay in this run: a direct path to them is an upgrade. */
  const wasRelayed = new Set<PeerIdString>()

  const pathOf = (peer: PeerIdString): PeerPath => {
    const open = openConnections(peer)
    if (open.length === 0) return 'offline'
    if (open.every(isRelayed)) return 'relayed'
    return wasRelayed.has(peer) ? 'upgraded' : 'direct'
  }

  const view = (peer: PeerIdString): PeerView => {
    const record = records.get(peer)
    const connected = isConnected(peer)
    return { peerId: peer, displayName: record?.displayName ?? null, connected, presence: connected ? record?.presence ?? 'online' : 'offline', addresses: record?.addresses ?? [], lastSeen: record?.lastSeen ?? null, path: pathOf(peer) }
  }

  const save = async (peer: PeerIdString, record: PeerRecord): Promise<void> => {
    records.set(peer, record)
    await peers.put(peer, record).catch((err: unknown) => { log.warn('could not save peer', { peer, error: errorMessage(err) }) })
  }

  const remember = async (peer: PeerIdString, addrs: Multiaddr[]): Promise<void> => {
    const old = records.get(peer)
    // Relayed addresses are kept too: for a colleague in another office they are the only way in.
    const fresh = addrs.map((a) => a.toString())
    const addresses = [...new Set([...fresh, ...(old?.addresses ?? [])])].slice(0, maxAddresses)
    await save(peer, { ...old, addresses, lastSeen: isConnected(peer) ? Date.now() : old?.lastSeen ?? null })
  }

  const scheduleRedial = (peer: PeerIdString, firstDelay = minBackoff): void => {
    if (stopped || !records.has(peer) || isConnected(peer)) return
    if (redial.has(peer)) return
    const attempt = (delay: number): void => {
      const timer = setTimeout(() => {
        if (stopped) return
        if (isConnected(peer)) { redial.delete(peer); return }
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
    const record = records.get(peer)
    if (record !== undefined) void save(peer, { ...record, lastSeen: Date.now() })
    emit('peers.changed', view(peer))
  }
  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = peerIdOf(evt.detail)
    const record = records.get(peer)
    if (record !== undefined) void save(peer, { ...record, lastSeen: Date.now() })
    emit('peers.changed', view(peer))
    scheduleRedial(peer)
  }
  const onIdentify = (evt: CustomEvent<{ peerId: PeerId; listenAddrs: Multiaddr[] }>): void => {
    const peer = peerIdOf(evt.detail.peerId)
    void remember(peer, evt.detail.listenAddrs).then(() => { emit('peers.changed', view(peer)) })
  }
  const onDiscovery = (evt: CustomEvent<{ id: PeerId }>): void => {
    // Peers found on the LAN are dialled at once; identify then records their addresses.
    if (isConnected(peerIdOf(evt.detail.id))) return
    node.dial(evt.detail.id).catch((err: unknown) => { log.debug('dial of discovered peer failed', { peer: evt.detail.id.toString(), error: errorMessage(err) }) })
  }

  node.addEventListener('peer:connect', onConnect)
  node.addEventListener('peer:disconnect', onDisconnect)
  node.addEventListener('peer:identify', onIdentify)
  node.addEventListener('peer:discovery', onDiscovery)

  /**
   * A peer reached only through a relay is tried directly, now and then, at the addresses it
   * announced: when a route appears (a VPN comes up, both laptops are back in the office) the
   * conversation moves off the relay without anyone noticing, and the relayed connection closes.
   */
  const upgrading = new Set<PeerIdString>()
  const tryUpgrades = (): void => {
    for (const conn of node.getConnections()) {
      const peer = peerIdOf(conn.remotePeer)
      if (!isRelayed(conn) || upgrading.has(peer) || !openConnections(peer).every(isRelayed)) continue
      wasRelayed.add(peer)
      const direct = (records.get(peer)?.addresses ?? []).filter((a) => !a.includes('/p2p-circuit'))
      if (direct.length === 0) continue
      upgrading.add(peer)
      void (async () => {
        let lastError: unknown
        for (const address of direct) {
          try {
            const ma = multiaddr(address).encapsulate(`/p2p/${peer}`)
            await node.dial(ma, { signal: AbortSignal.timeout(3_000), force: true })
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
  const upgradeMs = init.upgradeIntervalMs ?? 10_000
  let upgradeTimer: NodeJS.Timeout | undefined

  const book: PeerBook = {
    list: () => [...records.keys()].map(view),
    failures: () => failures.map((f) => ({ ...f })),
    reconnectNow: () => {
      for (const { timer } of redial.values()) clearTimeout(timer)
      redial.clear()
      for (const peer of records.keys()) scheduleRedial(peer, 0)
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
      await remember(peer, [ma.decapsulateCode(421)])
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
      const old = records.get(peer) ?? { addresses: [], lastSeen: isConnected(peer) ? Date.now() : null }
      if (old.displayName === displayName && old.presence === presence) return
      await save(peer, { ...old, displayName, presence })
      emit('peers.changed', view(peer))
    },
    presence: (peer) => {
      if (!isConnected(peer)) return 'offline'
      return records.get(peer)?.presence ?? 'online'
    },
    isConnected,
    start: () => {
      // Known peers from earlier runs: reach out now rather than waiting for them.
      for (const peer of records.keys()) scheduleRedial(peer)
      for (const address of init.dialAtStart ?? []) {
        book.dial(address).catch((err: unknown) => { log.warn('could not reach configured peer yet; will keep trying', { address, error: errorMessage(err) }) })
      }
      if (upgradeMs > 0) upgradeTimer = setInterval(tryUpgrades, upgradeMs).unref()
    },
    stop: () => {
      stopped = true
      clearInterval(upgradeTimer)
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
