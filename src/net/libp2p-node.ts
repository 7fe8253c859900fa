import './node-shims.js'
import { noise } from '@chainsafe/libp2p-noise'
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
import type { PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

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
   * Relays (full multiaddrs with /p2p/) to keep a reservation on, so peers can reach this node
   * through them. The caller keeps them connected (the peer book dials and redials them).
   */
  relays?: string[]
  /** Serve as a circuit relay for the peers this allows (a company relay). */
  relayServer?: { allowsReservation(peer: string): boolean }
  /** Start listening at once. The core passes false: its services register protocols first. @default true */
  start?: boolean
}

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws']

/** Assembles the libp2p node: TCP + WebSockets, Noise, Yamux, identify, ping, AutoNAT, DCUtR, circuit relay, optional mDNS. */
export async function createNetNode(init: NetNodeInit): Promise<NetNode> {
  // One reservation slot per relay given, filled from connected relays. libp2p re-reserves such
  // "discovered" slots when a relay goes away and comes back; a relay named in the listen address
  // itself is reserved once and never again (seen: a restarted relay left clients unreachable).
  // At least one slot always: a device that meets a relay later (through an invite, a colleague)
  // reserves on it without being told to. With no relay around the slot simply stays empty.
  const relayed = Array.from({ length: Math.max(1, init.relays?.length ?? 0) }, () => '/p2p-circuit')
  return createLibp2p({
    start: init.start ?? true,
    privateKey: init.privateKey,
    addresses: { listen: [...(init.listen ?? DEFAULT_LISTEN), ...relayed] },
    // The relay transport lets this node dial peers through a relay even when it uses none itself.
    transports: [tcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: init.mdns ? [mdns()] : [],
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
            relay: circuitRelayServer({ reservations: { maxReservations: 2048, applyDefaultLimit: false } })
          })
    },
    // libp2p's defaults (5 new connections a second per address, 10 upgrading at once) suit a
    // public node; here many colleagues share one address (an office NAT, a company relay, a
    // test machine), and the gater already refuses removed devices.
    connectionManager: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 64 },
    connectionGater: {
      denyDialPeer: (peer) => init.refuses?.(peer.toString()) ?? false,
      denyInboundEncryptedConnection: (peer) => init.refuses?.(peer.toString()) ?? false,
      denyOutboundEncryptedConnection: (peer) => init.refuses?.(peer.toString()) ?? false,
      denyInboundRelayReservation: (peer) => init.relayServer?.allowsReservation(peer.toString()) !== true
    }
  })
}
