import { peerIdFromString } from '@libp2p/peer-id'
import { RateLimiter } from '@libp2p/utils'
import { EnclaveError, errorMessage } from '../errors.js'
import { peerIdOf } from '../ids.js'
import { openRoute, sealRoute, ROUTE_TTL_MS, type Route } from './route-record.js'
import { MAX_GIVEN_ROUTES, MAX_KNOWN_ROUTES, REPLY_ROUTE_BYTES, ROUTES_PROTOCOL, requestRoutes, serveRoutes, type RoutesReply, type RoutesRequest } from './routes-protocol.js'
import type { PeerIdString } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Store } from '../store/store.js'
import type { MembershipAccess } from './membership-access.js'
import type { PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface MemberRoutesComponents {
  node: Pick<NetNode, 'getMultiaddrs' | 'getPeers' | 'addEventListener' | 'removeEventListener'> & { peerStore: Pick<NetNode['peerStore'], 'patch' | 'merge'> }
  privateKey: PrivateKey
  store: Pick<Store, 'collection'>
  access: Pick<MembershipAccess, 'sharedWith'>
  protocols: Pick<ProtocolHost, 'handleMembers' | 'dial'>
  bus: CoreBus
  log: Logger
  self: PeerIdString
}

export interface MemberRoutesInit {
  /** Own route made again at least this often, so it never expires while the device runs. @default 1 day */
  republishMs?: number
  /** News of routes is passed on in batches this often. @default 1 s */
  gossipMs?: number
  /** Members each batch of news goes to (besides its source). @default 6 */
  fanout?: number
  /** One ask of a member. @default 5 s */
  askTimeoutMs?: number
  now?: () => number
}

export interface MemberRoutes {
  /** libp2p peer routing: a fellow member's addresses, asked of connected members when unknown. */
  findPeer(peer: PeerId, options?: { signal?: AbortSignal }): Promise<PeerInfo>
  /** A dial of `peer` failed: its addresses may be stale, so connected members are asked for news (at most every 30 s). */
  refresh(peer: PeerIdString): void
  /** The route held for a member, if any (tests, health). */
  get(peer: PeerIdString): Route | undefined
  start(): Promise<void>
  stop(): void
}

/** Time between two asks about the same device after failed dials. */
const REFRESH_EVERY_MS = 30_000
/** Members asked at once about a device this one has no route to. */
const ASK_AT_ONCE = 3
/** Quiet after membership news before routes are asked for again (changes come in bursts). */
const CATCH_UP_AFTER_MS = 500
/** Exchanges of one sync with a member (each up to 768 KiB of routes). */
const MAX_SYNC_ROUNDS = 8

/**
 * Workspace peer routing (docs/protocol.md, `/enclave/routes/1.0.0`). Each device signs a route
 * (libp2p's signed peer record: its direct and relayed addresses, dated) and gives it to every
 * member it meets and, when its addresses change, to every connected member. Members keep the
 * routes of fellow members, store them, hand them to any member who shares the workspace on
 * request, and pass news on to a few others: so a device that knows one colleague learns how to
 * reach all of them, and a colleague whose address changed is found again through anyone who
 * heard. Routes of devices that share no workspace with this one are neither kept nor passed on.
 */
export async function createMemberRoutes(components: MemberRoutesComponents, init: MemberRoutesInit = {}): Promise<MemberRoutes> {
  const { node, access, protocols, log, self } = components
  const now = init.now ?? Date.now
  const republishMs = init.republishMs ?? 24 * 3600_000
  const gossipMs = init.gossipMs ?? 1000
  const fanout = init.fanout ?? 6
  const askTimeoutMs = init.askTimeoutMs ?? 5000
  const collection = components.store.collection<Uint8Array>('routes')
  const routes = new Map<PeerIdString, Route>()
  /** News to pass on, with the members it came from (who need not hear it again). */
  const news = new Map<PeerIdString, { route: Route; from: Set<PeerIdString> }>()
  // A member that signs a new route every moment would have every member store and pass it on:
  // a few changes a minute are what a moving laptop makes.
  const changes = new RateLimiter({ points: 10, duration: 60 })
  const refreshed = new Map<PeerIdString, number>()
  let own: Route | undefined
  let ownAddresses = ''
  let gossipTimer: NodeJS.Timeout | undefined
  let republishTimer: NodeJS.Timeout | undefined
  let updateTimer: NodeJS.Timeout | undefined
  let catchUpTimer: NodeJS.Timeout | undefined
  let stopped = false
  const unsubscribe: Array<() => void> = []

  const isFellow = (peer: PeerIdString): boolean => peer !== self && access.sharedWith(peer).length > 0
  /** May `to` be told `route`: its device shares a workspace with `to` (both as this device knows). */
  const mayTell = (route: Route, to: PeerIdString): boolean => {
    if (route.peer === to) return false
    if (route.peer === self) return true
    const theirs = new Set<string>(access.sharedWith(to))
    return access.sharedWith(route.peer).some((ws) => theirs.has(ws))
  }
  const connectedFellows = (): PeerIdString[] => node.getPeers().map(peerIdOf).filter(isFellow)

  const ask = async (peer: PeerIdString, request: Parameters<typeof requestRoutes>[1], signal?: AbortSignal): Promise<RoutesReply> => {
    const timeout = AbortSignal.timeout(askTimeoutMs)
    return requestRoutes(await protocols.dial(peer, ROUTES_PROTOCOL, signal === undefined ? timeout : AbortSignal.any([signal, timeout])), request)
  }

  /** Keeps a fellow member's route if it is newer than the one held; says whether it was. */
  const accept = async (route: Route, from: PeerIdString | null): Promise<boolean> => {
    if (stopped || !isFellow(route.peer)) return false
    const held = routes.get(route.peer)
    if (held !== undefined && held.seq >= route.seq) return false
    try {
      changes.consume(route.peer)
    } catch {
      log.debug('route changes too often; kept the one held', { peer: route.peer, code: 'rate-limited' })
      return false
    }
    routes.set(route.peer, route)
    await collection.put(route.peer, route.bytes)
    // The newest signed addresses replace what libp2p held: stale ones only slow a dial down.
    await node.peerStore.patch(peerIdFromString(route.peer), { multiaddrs: route.addresses }).catch((err: unknown) => { log.debug('could not update peer addresses', { peer: route.peer, error: errorMessage(err) }) })
    if (from !== null) {
      const entry = news.get(route.peer)
      news.set(route.peer, { route, from: entry?.route.seq === route.seq ? entry.from.add(from) : new Set([from]) })
    }
    log.debug('route learned', { peer: route.peer, from, addresses: route.addresses.length })
    components.bus.emit('route:learned', route.peer)
    return true
  }

  /** Opens and keeps routes a member sent; a bad one is skipped (and logged), the rest still count. */
  const acceptAll = async (all: Uint8Array[], from: PeerIdString): Promise<number> => {
    let learned = 0
    for (const bytes of all) {
      try {
        if (await accept(await openRoute(bytes, now()), from)) learned++
      } catch (err) {
        log.info('route refused', { peer: from, code: err instanceof EnclaveError ? err.code : 'bad-frame', error: errorMessage(err) })
      }
    }
    return learned
  }

  const answer = async (from: PeerIdString, req: RoutesRequest): Promise<RoutesReply> => {
    await acceptAll(req.give, from)
    if (req.ask === null) return { routes: [], more: false }
    const known = new Map(req.ask.known)
    const only = req.ask.only === null ? null : new Set<string>(req.ask.only)
    const candidates = [...(own === undefined ? [] : [own]), ...routes.values()]
      .filter((r) => (only === null || only.has(r.peer)) && (known.get(r.peer) ?? -1) < r.seq && mayTell(r, from))
    const out: Uint8Array[] = []
    let bytes = 0
    for (const r of candidates) {
      if (bytes + r.bytes.byteLength > REPLY_ROUTE_BYTES) return { routes: out, more: true }
      out.push(r.bytes)
      bytes += r.bytes.byteLength
    }
    return { routes: out, more: false }
  }

  const knownList = (): Array<[PeerIdString, number]> => [...routes.values()].sort((a, b) => b.seq - a.seq).slice(0, MAX_KNOWN_ROUTES).map((r) => [r.peer, r.seq])

  /** Gives a member `give` and takes what it knows that this device does not. */
  const syncWith = async (peer: PeerIdString, first: Uint8Array[]): Promise<void> => {
    let give = first
    for (let round = 0; round < MAX_SYNC_ROUNDS && !stopped; round++) {
      const reply = await ask(peer, { give, ask: { known: knownList(), only: null } })
      give = []
      const learned = await acceptAll(reply.routes, peer)
      if (!reply.more || learned === 0) return
    }
  }

  /** Asks a few connected members about one device; resolves when one answered or all failed. */
  const askAround = async (peer: PeerIdString, signal?: AbortSignal): Promise<void> => {
    const asked = connectedFellows().filter((p) => p !== peer).sort(() => Math.random() - 0.5).slice(0, ASK_AT_ONCE)
    const held = routes.get(peer)
    await Promise.any(asked.map(async (member) => {
      const reply = await ask(member, { give: [], ask: { known: held === undefined ? [] : [[peer, held.seq]], only: [peer] } }, signal)
      await acceptAll(reply.routes, member)
      if (routes.get(peer) === held) throw new EnclaveError('not-found', 'no newer route there')
    })).catch(() => undefined)
  }

  /**
   * Routes given before this device knew their devices as members were not kept (a newcomer's
   * route often arrives before the membership op that admits it). Once membership settles, a
   * few connected members are asked for what they hold that this device does not.
   */
  const catchUp = (): void => {
    if (stopped) return
    for (const member of connectedFellows().sort(() => Math.random() - 0.5).slice(0, ASK_AT_ONCE)) {
      syncWith(member, []).catch((err: unknown) => { log.debug('routes catch-up failed', { peer: member, error: errorMessage(err) }) })
    }
  }

  /** Passes news on to a few connected members, each only what it may be told and did not send. */
  const gossip = (): void => {
    if (news.size === 0) return
    const items = [...news.values()]
    news.clear()
    const targets = connectedFellows().sort(() => Math.random() - 0.5).slice(0, fanout)
    for (const target of targets) {
      const give = items.filter((n) => !n.from.has(target) && mayTell(n.route, target)).map((n) => n.route.bytes).slice(0, MAX_GIVEN_ROUTES)
      if (give.length === 0) continue
      ask(target, { give, ask: null }).catch((err: unknown) => { log.debug('could not pass routes on', { peer: target, error: errorMessage(err) }) })
    }
  }

  /** Signs this device's route again when its addresses changed (or it is a day old) and gives it to every connected member. */
  const publish = async (): Promise<void> => {
    if (stopped) return
    const addresses: Multiaddr[] = node.getMultiaddrs()
    const text = addresses.map((a) => a.toString()).sort().join(' ')
    if (own !== undefined && text === ownAddresses && own.seq > now() - republishMs) return
    ownAddresses = text
    own = await sealRoute(components.privateKey, addresses, Math.max(now(), (own?.seq ?? 0) + 1))
    const give = [own.bytes]
    for (const member of connectedFellows()) {
      ask(member, { give, ask: null }).catch((err: unknown) => { log.debug('could not give own route', { peer: member, error: errorMessage(err) }) })
    }
  }

  /** Forgets the routes of devices that share no workspace with this one any more. */
  const prune = async (): Promise<void> => {
    for (const peer of [...routes.keys()]) {
      if (isFellow(peer)) continue
      routes.delete(peer)
      news.delete(peer)
      await collection.del(peer)
    }
  }

  const load = async (): Promise<void> => {
    const stale: string[] = []
    for await (const [key, bytes] of collection.entries()) {
      try {
        const route = await openRoute(bytes, now())
        if (route.peer !== key || !isFellow(route.peer)) { stale.push(key); continue }
        routes.set(route.peer, route)
        await node.peerStore.merge(peerIdFromString(route.peer), { multiaddrs: route.addresses }).catch(() => undefined)
      } catch {
        stale.push(key)
      }
    }
    for (const key of stale) await collection.del(key)
  }

  await protocols.handleMembers(ROUTES_PROTOCOL, (stream, connection) => serveRoutes(stream, connection, { log, answer }))

  const refresh = (peer: PeerIdString): void => {
    if (stopped || !isFellow(peer)) return
    if (now() - (refreshed.get(peer) ?? 0) < REFRESH_EVERY_MS) return
    refreshed.delete(peer)
    refreshed.set(peer, now())
    if (refreshed.size > 10_000) refreshed.delete(refreshed.keys().next().value as PeerIdString)
    void askAround(peer)
  }

  const onSelfUpdate = (): void => {
    // Listening, a relay reservation and confirmed addresses arrive in bursts: one route for each burst.
    clearTimeout(updateTimer)
    updateTimer = setTimeout(() => { void publish().catch((err: unknown) => { log.warn('could not publish own route', { error: errorMessage(err) }) }) }, 1000).unref()
  }

  return {
    findPeer: async (peerId, options = {}) => {
      const peer = peerIdOf(peerId)
      if (!isFellow(peer)) throw new EnclaveError('not-found', 'routes are kept for fellow members only')
      if (!routes.has(peer)) await askAround(peer, options.signal)
      const route = routes.get(peer)
      if (route === undefined) throw new EnclaveError('not-found', 'no member knows a route to that device')
      return { id: peerId, multiaddrs: route.addresses }
    },
    refresh,
    get: (peer) => routes.get(peer),
    start: async () => {
      await load()
      await publish()
      node.addEventListener('self:peer:update', onSelfUpdate)
      unsubscribe.push(
        components.bus.on('peer:ready', (peer) => {
          if (isFellow(peer)) syncWith(peer, own === undefined ? [] : [own.bytes]).catch((err: unknown) => { log.debug('routes sync failed', { peer, error: errorMessage(err) }) })
        }),
        components.bus.on('membership:changed', () => {
          void prune()
          clearTimeout(catchUpTimer)
          catchUpTimer = setTimeout(catchUp, CATCH_UP_AFTER_MS).unref()
        }),
        components.bus.on('connection:failed', (failure) => { if (failure.attempt !== 'upgrade') refresh(failure.peerId) })
      )
      gossipTimer = setInterval(gossip, gossipMs).unref()
      republishTimer = setInterval(() => { void publish() }, Math.min(republishMs, ROUTE_TTL_MS) / 4).unref()
    },
    stop: () => {
      stopped = true
      clearInterval(gossipTimer)
      clearInterval(republishTimer)
      clearTimeout(updateTimer)
      clearTimeout(catchUpTimer)
      node.removeEventListener('self:peer:update', onSelfUpdate)
      for (const off of unsubscribe) off()
    }
  }
}

