import './node-shims.js'
import { noise } from '@chainsafe/libp2p-noise'
import { defaultNoiseCrypto, noiseCryptoOf, type NoiseCrypto } from './noise-crypto.js'
import { autoNAT } from '@libp2p/autonat'
import { dcutr } from '@libp2p/dcutr'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Identify } from '@libp2p/identify'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { MultiaddrConnection, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import { createUnknownAdmission } from './unknown-admission.js'

export type NetNode = Libp2p<{ identify: Identify; ping: Ping; relay?: CircuitRelayService }>

export interface NetNodeInit {
  privateKey: PrivateKey
  /** Multiaddrs to listen on. @default TCP and WebSockets on every interface, OS-chosen ports */
  listen?: string[]
  /** Discover peers on the LAN by multicast DNS. Never on in tests outside a network namespace. */
  mdns: boolean
  /** Peers refused before any protocol runs (e.g. removed members). Asked on every connection. */
  refuses?: (peer: string) => boolean
  /**
   * Peers exempt from the limits on unknown peers' connections (members). Without it, no limit:
   * a node in no workspace, or a test's raw node.
   */
  isKnown?: (peer: string) => boolean
  /**
   * Relays (full multiaddrs with /p2p/) to keep a reservation on, so peers can reach this node
   * through them. The caller keeps them connected (the peer book dials and redials them).
   */
  relays?: string[]
  /**
   * Serve as a circuit relay for the peers this allows: a company relay (no limits), or a member's
   * device relaying for colleagues with no other path (`limits`: each relayed connection carries
   * at most so many bytes for so long, then closes, and the next dial makes a new one).
   */
  relayServer?: { allowsReservation(peer: string): boolean; limits?: RelayLimits }
  /**
   * Finds a peer's addresses when libp2p has none (workspace peer routing: fellow members' signed
   * routes). Throws when it knows none; the dial then fails as it would without routing.
   */
  findPeer?: (peer: PeerId, options: { signal?: AbortSignal }) => Promise<PeerInfo>
  /** Noise's cipher implementation (noise-crypto.ts). @default by runtime: OpenSSL in Node, libsodium in Electron */
  noiseCrypto?: NoiseCrypto
  /** Start listening at once. The core passes false: its services register protocols first. @default true */
  start?: boolean
}

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws']

/**
 * Inbound connections of peers that are no members, per remote address and in all. A joiner, a
 * colleague not heard of yet, a stranger: each needs one, and an office NAT or a relay shares an
 * address among a few; a flood of throwaway ids from one address is turned away at the door,
 * before its handshakes cost anything (handshakes under way count too: unknown-admission.ts).
 */
export const MAX_UNKNOWN_PER_ADDRESS = 8
export const MAX_UNKNOWN_CONNECTIONS = 64
/** How long an unknown peer's connection holds its address's place from when it opened, also once closed: a stranger's grace. */
const UNKNOWN_PLACE_MS = 5_000

/**
 * A yamux stream's receive window at most. A stream whose reader is busy is paused and holds up to
 * one window: kept well below libp2p's 4 MiB read buffer limit, which resets a stream beyond it,
 * and small enough that many paused streams stay cheap. 1 MiB still carries ~1 GiB/s at LAN round
 * trips and ~10 MiB/s per stream at 100 ms.
 */
const MAX_STREAM_WINDOW = 1024 * 1024

/** The remote host of a connection (a relay's, for a relayed one). */
function hostOf(addr: Multiaddr): string | undefined {
  return addr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6' || c.name.startsWith('dns'))?.value
}

export interface RelayLimits {
  maxReservations: number
  dataBytes: bigint
  durationMs: number
}

/** What a member's device carries for colleagues: a few of them, for a while, a bounded amount. */
export const MEMBER_RELAY_LIMITS: RelayLimits = { maxReservations: 16, dataBytes: 256n * 1024n * 1024n, durationMs: 30 * 60_000 }

/** What this node may ask of its circuit relay transport (its reservations on relays). */
export interface RelayReservations {
  hasReservation(peer: PeerId): boolean
  /** Reserves a slot on `peer` if a discovered slot is free; throws when none is or `peer` refuses. */
  reserve(peer: PeerId): Promise<void>
}

const reservationsOf = new WeakMap<object, RelayReservations>()

/**
 * A node's relay reservations. libp2p tries a relay once per connection, when it first sees it:
 * a colleague who refused a device that had not joined yet is never asked again on that
 * connection, so member relaying asks once the device is a member (src/org/member-relay.ts).
 */
export function relayReservations(node: NetNode): RelayReservations | undefined {
  return reservationsOf.get(node)
}

/** Assembles the libp2p node: TCP + WebSockets, Noise, Yamux, identify, ping, AutoNAT, DCUtR, circuit relay, optional mDNS. */
export async function createNetNode(init: NetNodeInit): Promise<NetNode> {
  // One reservation slot per relay given, filled from connected relays. libp2p re-reserves such
  // "discovered" slots when a relay goes away and comes back; a relay named in the listen address
  // itself is reserved once and never again (seen: a restarted relay left clients unreachable).
  // At least one slot always: a device that meets a relay later (through an invite, a colleague)
  // reserves on it without being told to. With no relay around the slot simply stays empty.
  // With relays given, one slot more: a colleague's device (member relaying) may take one first.
  const given = init.relays?.length ?? 0
  const relayed = Array.from({ length: given === 0 ? 1 : given + 1 }, () => '/p2p-circuit')
  // The gater asks the node it guards for the connections open now (none while it is being made).
  const made: { node?: NetNode; reservations?: RelayReservations } = {}
  /** Unknown peers' inbound connections open now: all of them, and those from `host`. */
  const unknownInbound = (host: string | undefined): { all: number; fromHost: number } => {
    const isKnown = init.isKnown
    if (isKnown === undefined || made.node === undefined) return { all: 0, fromHost: 0 }
    const unknown = made.node.getConnections().filter((c) => c.direction === 'inbound' && c.status === 'open' && !isKnown(c.remotePeer.toString()))
    return { all: unknown.length, fromHost: unknown.filter((c) => hostOf(c.remoteAddr) === host).length }
  }
  // Before the handshake nobody is known: an address that has its fill of unknown peers waits.
  const admission = createUnknownAdmission({ perAddress: MAX_UNKNOWN_PER_ADDRESS, total: MAX_UNKNOWN_CONNECTIONS })
  const mayHandshake = (maConn: MultiaddrConnection): boolean => {
    if (init.isKnown === undefined) return true
    if (!admission.admit(hostOf(maConn.remoteAddr), maConn, unknownInbound(hostOf(maConn.remoteAddr)))) return false
    maConn.addEventListener('close', () => { admission.settled(maConn) }, { once: true })
    return true
  }
  const tooManyUnknown = (peer: string, addr: Multiaddr): boolean => {
    if (init.isKnown === undefined || init.isKnown(peer)) return false
    const open = unknownInbound(hostOf(addr))
    return open.all >= MAX_UNKNOWN_CONNECTIONS || open.fromHost >= MAX_UNKNOWN_PER_ADDRESS
  }
  const node = await createLibp2p({
    start: init.start ?? true,
    privateKey: init.privateKey,
    addresses: { listen: [...(init.listen ?? DEFAULT_LISTEN), ...relayed] },
    // The relay transport lets this node dial peers through a relay even when it uses none itself.
    transports: [tcp(), webSockets(), (components: Parameters<ReturnType<typeof circuitRelayTransport>>[0]) => {
      const transport = circuitRelayTransport()(components)
      // The transport class (not exported by the package) keeps its reservation store public.
      const store = (transport as Partial<{ reservationStore: { hasReservation(peer: PeerId): boolean; addRelay(peer: PeerId, type: 'discovered'): Promise<unknown> } }>).reservationStore
      if (store !== undefined) {
        made.reservations = {
          hasReservation: (peer) => store.hasReservation(peer),
          reserve: async (peer) => { await store.addRelay(peer, 'discovered') }
        }
      }
      return transport
    }],
    connectionEncrypters: [noise({ crypto: noiseCryptoOf(init.noiseCrypto ?? defaultNoiseCrypto()) })],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: MAX_STREAM_WINDOW } })],
    peerDiscovery: init.mdns ? [mdns()] : [],
    peerRouters: init.findPeer === undefined
      ? []
      : [() => ({
          findPeer: init.findPeer ?? (() => Promise.reject(new Error('no peer routing'))),
          // No DHT here, so no peer is closer than another. libp2p's random walk (relay discovery)
          // asks this again as soon as it returns: it waits until the walk is called off instead
          // of returning at once, which would spin the CPU.
          getClosestPeers: async function * (_key, options) {
            const signal = options?.signal
            if (signal === undefined || signal.aborted) return
            await new Promise((resolve) => { signal.addEventListener('abort', resolve, { once: true }) })
            yield * []
          }
        })],
    services: {
      identify: identify(),
      ping: ping(),
      // AutoNAT asks peers to dial this node back at the addresses others observe for it, so it
      // announces only external addresses that work. DCUtR then turns a relayed connection into a
      // direct one: both sides dial each other's confirmed addresses at the same moment (hole
      // punching), or the reachable side dials the other.
      autoNAT: autoNAT(),
      dcutr: dcutr(),
      ...(init.relayServer === undefined
        ? {}
        : {
            // A company relay carries chat and files for its own people: no per-circuit data or time
            // limit (libp2p's default of 2 min / 128 KiB suits public relays), many reservations.
            // A member's device relays within its limits; such connections are "limited", so
            // every Enclave protocol runs on limited connections too (protocol-host.ts).
            relay: circuitRelayServer({
              reservations: init.relayServer.limits === undefined
                ? { maxReservations: 2048, applyDefaultLimit: false }
                : { maxReservations: init.relayServer.limits.maxReservations, applyDefaultLimit: true, defaultDataLimit: init.relayServer.limits.dataBytes, defaultDurationLimit: init.relayServer.limits.durationMs }
            })
          })
    },
    // libp2p's defaults (5 new connections a second per address, 10 upgrading at once) suit a
    // public node; here many colleagues share one address (an office NAT, a company relay, a
    // test machine), and the gater already refuses removed devices.
    connectionManager: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 64 },
    connectionGater: {
      denyDialPeer: (peer) => init.refuses?.(peer.toString()) ?? false,
      denyInboundConnection: (maConn) => !mayHandshake(maConn),
      denyInboundEncryptedConnection: (peer, maConn) => {
        admission.settled(maConn)
        return init.refuses?.(peer.toString()) === true || tooManyUnknown(peer.toString(), maConn.remoteAddr)
      },
      denyOutboundEncryptedConnection: (peer) => init.refuses?.(peer.toString()) ?? false,
      denyInboundRelayReservation: (peer) => init.relayServer?.allowsReservation(peer.toString()) !== true
    }
  })
  made.node = node
  if (made.reservations !== undefined) reservationsOf.set(node, made.reservations)
  node.addEventListener('connection:close', ({ detail: c }) => {
    if (c.direction !== 'inbound' || init.isKnown === undefined || init.isKnown(c.remotePeer.toString())) return
    admission.linger(hostOf(c.remoteAddr), c.timeline.open + UNKNOWN_PLACE_MS)
  })
  // Connections upgrading at the same moment all pass the gater before any of them is open: the
  // newest of those over the limit is closed as it opens.
  node.addEventListener('connection:open', ({ detail: c }) => {
    if (c.direction !== 'inbound' || init.isKnown === undefined || init.isKnown(c.remotePeer.toString())) return
    const open = unknownInbound(hostOf(c.remoteAddr))
    if (open.all > MAX_UNKNOWN_CONNECTIONS || open.fromHost > MAX_UNKNOWN_PER_ADDRESS) c.abort(new Error('too many connections of unknown peers from this address'))
  })
  return node
}
