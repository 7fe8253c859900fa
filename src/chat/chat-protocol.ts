import { EnclaveError, errorMessage } from '../errors.js'
import { concatFrames, readFrameBatches } from '../net/frame-reader.js'
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from './chat-frames.js'
import { peerIdOf } from '../ids.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Envelope } from './envelope.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * Serves one inbound chat stream: stores each batch of envelopes, then acknowledges the ones
 * stored (an envelope its author did not sign, or one refused, is not: its sender tries again).
 * Anything malformed, oversized or truncated resets this stream only, with a coded log line;
 * the messages before it in the same batch are still stored and acknowledged, and the node
 * keeps serving every other stream.
 */
export async function serveChatStream(receive: (from: PeerIdString, envs: Envelope[], deposit?: PeerIdString[]) => Promise<Envelope[]>, log: Logger, stream: Stream, connection: Connection): Promise<void> {
  const from = peerIdOf(connection.remotePeer)
  try {
    for await (const batch of readFrameBatches(stream, { maxFrameBytes: MAX_FRAME_BYTES })) {
      const envs: Envelope[] = []
      const deposits: Array<{ env: Envelope; for: PeerIdString[] }> = []
      let failure: Error | undefined
      for (const body of batch) {
        try {
          const frame = decodeFrame(body)
          if (frame.t !== 'msg') throw new EnclaveError('bad-frame', 'acks are not expected on an inbound chat stream')
          if (frame.for === undefined) envs.push(frame.env)
          else deposits.push({ env: frame.env, for: frame.for })
        } catch (err) {
          failure = err instanceof Error ? err : new EnclaveError('bad-frame', errorMessage(err))
          break
        }
      }
      // Authorship is not checked here: envelopes may come through a mailbox or a member
      // helping with catch-up. MLS proves who wrote each one when it is decrypted.
      const take = async (list: Envelope[], deposit?: PeerIdString[]): Promise<Envelope[]> => {
        try {
          return await receive(from, list, deposit)
        } catch (err) {
          if (err instanceof EnclaveError && err.code === 'over-quota') throw err
          // This device failed (its store, a bug), not the peer: said loudly, never as the peer leaving.
          log.error('could not take envelopes', { peer: from, code: 'internal', error: errorMessage(err) })
          throw new EnclaveError('internal', 'could not take the envelopes', { cause: err })
        }
      }
      const done = envs.length > 0 ? await take(envs) : []
      const refused: Envelope[] = []
      for (const d of deposits) {
        try {
          done.push(...await take([d.env], d.for))
        } catch (err) {
          if (!(err instanceof EnclaveError && err.code === 'over-quota')) throw err
          log.info('refused a deposit', { peer: from, conv: d.env.conv, author: d.env.author, seq: d.env.seq, code: err.code, error: err.message })
          refused.push(d.env)
        }
      }
      log.debug('envelopes taken', { peer: from, got: envs.length + deposits.length, acked: done.length, refused: refused.length, first: envs[0] === undefined ? undefined : `${envs[0].conv}/${envs[0].author}/${envs[0].seq}` })
      if (done.length > 0 || refused.length > 0) {
        const answers = concatFrames([
          ...done.map((env) => encodeFrame({ t: 'ack', conv: env.conv, author: env.author, seq: env.seq })),
          ...refused.map((env) => encodeFrame({ t: 'refused', conv: env.conv, author: env.author, seq: env.seq, code: 'over-quota' }))
        ])
        if (!stream.send(answers)) await stream.onDrain()
      }
      if (failure !== undefined) throw failure
    }
  } catch (err) {
    if (!(err instanceof EnclaveError)) {
      // The peer went away or reset the stream: ordinary life, not a protocol violation.
      log.debug('chat stream ended', { peer: from, error: errorMessage(err) })
      if (stream.status === 'open') stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
      return
    }
    log.warn('chat stream reset', { peer: from, code: err.code, error: err.message })
    stream.abort(err)
  }
}
