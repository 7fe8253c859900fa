import './node-shims.js'
import { noise } from '@chainsafe/libp2p-noise'
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

export type NetNode = Libp2p<{ identify: Identify; ping: Ping }>

export interface NetNodeInit {
  privateKey: PrivateKey
  /** Multiaddrs to listen on. @default TCP and WebSockets on every interface, OS-chosen ports */
  listen?: string[]
  /** Discover peers on the LAN by multicast DNS. Never on in tests outside a network namespace. */
  mdns: boolean
  /** Peers refused before any protocol runs (e.g. removed members). Asked on every connection. */
  refuses?: (peer: string) => boolean
}

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws']

/** Assembles the libp2p node: TCP + WebSockets, Noise, Yamux, identify, ping, optional mDNS. */
export async function createNetNode(init: NetNodeInit): Promise<NetNode> {
  return createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen ?? DEFAULT_LISTEN },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: init.mdns ? [mdns()] : [],
    services: { identify: identify(), ping: ping() },
    // libp2p's defaults (5 new connections a second per address, 10 upgrading at once) suit a
    // public node; here many colleagues share one address (an office NAT, a company relay, a
    // test machine), and the gater already refuses removed devices.
    connectionManager: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 64 },
    connectionGater: {
      denyDialPeer: (peer) => init.refuses?.(peer.toString()) ?? false,
      denyInboundEncryptedConnection: (peer) => init.refuses?.(peer.toString()) ?? false,
      denyOutboundEncryptedConnection: (peer) => init.refuses?.(peer.toString()) ?? false
    }
  })
}
