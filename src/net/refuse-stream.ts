import { EnclaveError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/** Resets a stream opened by a peer that is not a member here, with a coded log line. */
export function refuseStream(stream: Stream, connection: Connection, log: Logger): void {
  const err = new EnclaveError('not-member', 'not a member of any workspace on this device')
  log.warn('stream refused', { peer: connection.remotePeer.toString(), protocol: stream.protocol, code: err.code })
  stream.abort(err)
}
