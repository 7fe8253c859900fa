import { RELAY_V2_STOP_CODEC } from '@libp2p/circuit-relay-v2'
import type { NetNode } from './libp2p-node.js'
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** What a relay has carried since it started. */
export interface RelayTraffic {
  /** Circuits open now (one per relayed connection between two peers). */
  circuits(): number
  /** Circuits opened since start. */
  circuitsTotal(): number
  /** Bytes relayed since start, both directions (ciphertext). */
  bytes(): number
}

/** The muxer hands a stream's arriving data to this method (@libp2p/utils AbstractMessageStream). */
type Receiving = Stream & { onData?: (data: Uint8Array | Uint8ArrayList) => void }

/**
 * Counts a relay's circuits and bytes with libp2p stream middleware on the stop protocol. A
 * circuit is the stop stream the relay opens to the destination and pipes into the source's hop
 * stream: what the relay sends on it went source → destination, what arrives on it goes back.
 *
 * Only the stop stream, which the relay opens itself: libp2p 3.3.11 appends the protocol handler
 * to the shared middleware list on every *inbound* stream (registrar.getMiddleware returns the
 * stored array), so middleware on the inbound hop protocol breaks the second circuit. And
 * arrivals are counted where the muxer delivers them: a 'message' listener would take data
 * meant for the relay before the relay starts reading.
 */
export function trackRelayTraffic(node: NetNode): RelayTraffic {
  const open = new Set<Stream>()
  let total = 0
  let bytes = 0
  node.use(RELAY_V2_STOP_CODEC, [(stream, connection, next) => {
    if (stream.direction === 'outbound') {
      open.add(stream)
      total++
      stream.addEventListener('close', () => { open.delete(stream) })
      const send = stream.send.bind(stream)
      stream.send = (data) => {
        bytes += data.byteLength
        return send(data)
      }
      const receiving = stream as Receiving
      const onData = receiving.onData?.bind(stream)
      if (onData !== undefined) {
        receiving.onData = (data) => {
          bytes += data.byteLength
          onData(data)
        }
      }
    }
    next(stream, connection)
  }])
  return { circuits: () => open.size, circuitsTotal: () => total, bytes: () => bytes }
}
