import { peerIdFromString } from '@libp2p/peer-id'
import { EnclaveError } from '../errors.js'
import { attachGrant, createInboundBudgets, type InboundBudgets, type Standing } from './inbound-budget.js'
import { REFUSAL_DELAY_MS, refuseStream, strangerRefusal } from './refuse-stream.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { NetNode } from './libp2p-node.js'
import type { Connection, Stream } from '@libp2p/interface'

export type StreamHandler = (stream: Stream, connection: Connection) => void | Promise<void>

/**
 * Streams a stranger's connection may open in all, refused or not. Proving membership or
 * redeeming an invite takes a few; a stranger opening stream after stream (each of which
 * may bring a yamux window of bytes to decrypt before it is refused: bench:hostile saw 1.4 GB
 * in 30 s) loses its connection, and its address's slot stays taken for a while
 * (unknown-admission.ts).
 */
export const MAX_STRANGER_STREAMS_PER_CONNECTION = 16

export interface HandleOptions {
  /** Streams of this protocol one connection may have open at once. @default libp2p's (32) */
  maxInboundStreams?: number
}

/**
 * Where services register their libp2p protocols and open streams to peers. Registering is done
 * while a service is built, before the node starts, so no peer ever meets a half-served node.
 * Every inbound stream is counted against its peer's budget before its handler runs, and carries
 * that budget to the frame reader (`inbound-budget.ts`).
 */
export interface ProtocolHost {
  /** Serves a protocol to members only: any other peer gets the stranger refusal, unread. */
  handleMembers(protocol: string, handler: StreamHandler, options?: HandleOptions): Promise<void>
  /** Serves a protocol to any peer the gater let connect (invite redemption, proving membership), within a stranger's budget. */
  handleAnyone(protocol: string, handler: StreamHandler, options?: HandleOptions): Promise<void>
  dial(peer: PeerIdString, protocol: string, signal: AbortSignal): Promise<Stream>
  /** Enclave protocols this node serves (`/enclave/…`), for `node.info`. */
  served(): string[]
}

export interface ProtocolHostComponents {
  node: Pick<NetNode, 'handle' | 'dialProtocol'>
  log: Logger
  /** Whether a peer may use members-only protocols. */
  allows: (peer: string) => boolean
  /** @default the limits of `createInboundBudgets` */
  budgets?: InboundBudgets
  /** A dial failed: the peer's addresses may be stale (workspace peer routing asks for news). */
  dialFailed?: (peer: PeerIdString) => void
}

export function createProtocolHost({ node, log, allows, budgets = createInboundBudgets(), dialFailed }: ProtocolHostComponents): ProtocolHost {
  const served: string[] = []
  const strangerStreams = new WeakMap<Connection, number>()
  /** Counts a stranger's stream on its connection; false once it had its fill (the connection is closed). */
  const strangerMayOpen = (stream: Stream, connection: Connection, peer: string): boolean => {
    const n = (strangerStreams.get(connection) ?? 0) + 1
    strangerStreams.set(connection, n)
    if (n <= MAX_STRANGER_STREAMS_PER_CONNECTION) return true
    if (n === MAX_STRANGER_STREAMS_PER_CONNECTION + 1) {
      log.info('closing a stranger\'s connection', { peer, protocol: stream.protocol, code: 'too-large', error: 'too many streams from a peer that is no member' })
    }
    const err = strangerRefusal()
    stream.abort(err)
    connection.abort(err)
    return false
  }
  const handle = async (protocol: string, handler: StreamHandler, options: HandleOptions, membersOnly: boolean): Promise<void> => {
    await node.handle(protocol, (stream, connection) => {
      const opened = Date.now()
      const peer = connection.remotePeer.toString()
      const standing: Standing = allows(peer) ? 'member' : 'stranger'
      if (standing === 'stranger' && !strangerMayOpen(stream, connection, peer)) return
      const grant = budgets.open(peer, standing)
      if (grant === null) {
        if (standing === 'stranger') return refuseStream(stream, connection, log, opened - REFUSAL_DELAY_MS)
        const err = new EnclaveError('too-large', 'too many streams open from this peer')
        log.warn('stream refused', { peer, protocol, code: err.code, error: err.message })
        stream.abort(err)
        return
      }
      stream.addEventListener('close', () => { grant.end() }, { once: true })
      if (stream.status !== 'open') grant.end()
      if (membersOnly && standing === 'stranger') return refuseStream(stream, connection, log, opened)
      attachGrant(stream, grant)
      return handler(stream, connection)
    // Relayed by a colleague's device, a connection is limited (bytes, time): Enclave runs on it.
    }, { runOnLimitedConnection: true, ...(options.maxInboundStreams === undefined ? {} : { maxInboundStreams: options.maxInboundStreams }) })
    served.push(protocol)
  }
  return {
    handleMembers: (protocol, handler, options = {}) => handle(protocol, handler, options, true),
    handleAnyone: (protocol, handler, options = {}) => handle(protocol, handler, options, false),
    dial: async (peer, protocol, signal) => {
      try {
        return await node.dialProtocol(peerIdFromString(peer), protocol, { signal, runOnLimitedConnection: true })
      } catch (err) {
        // Told of every failure: asking for news is rate-limited there.
        dialFailed?.(peer)
        throw err
      }
    },
    served: () => [...served]
  }
}
