import { peerIdFromString } from '@libp2p/peer-id'
import { refuseStream } from './refuse-stream.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { NetNode } from './libp2p-node.js'
import type { Connection, Stream } from '@libp2p/interface'

export type StreamHandler = (stream: Stream, connection: Connection) => void | Promise<void>

export interface HandleOptions {
  /** Streams of this protocol one connection may have open at once. @default libp2p's (32) */
  maxInboundStreams?: number
}

/**
 * Where services register their libp2p protocols and open streams to peers. Registering is done
 * while a service is built, before the node starts, so no peer ever meets a half-served node.
 */
export interface ProtocolHost {
  /** Serves a protocol to members only: any other peer's stream is refused with a coded log line. */
  handleMembers(protocol: string, handler: StreamHandler, options?: HandleOptions): Promise<void>
  /** Serves a protocol to any peer the gater let connect (invite redemption, proving membership). */
  handleAnyone(protocol: string, handler: StreamHandler, options?: HandleOptions): Promise<void>
  dial(peer: PeerIdString, protocol: string, signal: AbortSignal): Promise<Stream>
  /** Enclave protocols this node serves (`/enclave/…`), for `node.info`. */
  served(): string[]
}

export interface ProtocolHostComponents {
  node: NetNode
  log: Logger
  /** Whether a peer may use members-only protocols. */
  allows: (peer: string) => boolean
}

export function createProtocolHost({ node, log, allows }: ProtocolHostComponents): ProtocolHost {
  const served: string[] = []
  const handle = async (protocol: string, handler: StreamHandler, options: HandleOptions): Promise<void> => {
    await node.handle(protocol, handler, options.maxInboundStreams === undefined ? {} : { maxInboundStreams: options.maxInboundStreams })
    served.push(protocol)
  }
  return {
    handleMembers: (protocol, handler, options = {}) => handle(protocol, (stream, connection) => {
      if (!allows(connection.remotePeer.toString())) { refuseStream(stream, connection, log); return }
      return handler(stream, connection)
    }, options),
    handleAnyone: (protocol, handler, options = {}) => handle(protocol, handler, options),
    dial: (peer, protocol, signal) => node.dialProtocol(peerIdFromString(peer), protocol, { signal }),
    served: () => [...served]
  }
}
