import { EnclaveError, errorMessage } from '../errors.js'
import { createMembershipLog } from '../identity/membership-log.js'
import { verifyOp, opId, type VerifiedOp } from '../identity/membership-op.js'
import { isStrangerRefusal } from '../net/refuse-stream.js'
import { JOIN_HAVE, requestJoin, type JoinAnswer } from './join-protocol.js'
import type { InvitePayload } from '../identity/invite-link.js'
import type { SyncCursor } from './sync-cursor.js'
import type { UserId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Stream } from '@libp2p/interface'

export interface JoinClientComponents {
  /** Opens a join stream to one of the invite's addresses. */
  open(address: string): Promise<Stream>
  log: Logger
  /** The pause after the n-th failure in a row (tests pass 0); by default 250 ms × n. */
  backoffMs?: (failures: number) => number
}

export interface JoinOutcome extends Omit<JoinAnswer, 'more' | 'cursor'> {
  /** The whole log, verified. */
  ops: VerifiedOp[]
}

/** Exchanges one join may take, resumed ones included: 64 × 4 MiB is far beyond any log. */
const MAX_EXCHANGES = 64
/**
 * A connection that was closing when the stream was asked for (one of two made at once, pruned)
 * fails every try made at once on it; a pause lets libp2p drop it and dial afresh.
 */
const backoff = (failures: number): number => 250 * failures

/** The admin's refusals that no other address or retry will change. */
function isFinal(err: unknown): boolean {
  return err instanceof EnclaveError && (err.code === 'invite-invalid' || err.code === 'unauthorized')
}

/**
 * Redeems an invite at the inviting device and collects the workspace's log. A reply bounded
 * by the admin's budget, or cut off by a failing stream, is resumed: the joiner asks again with
 * the heads of what it holds, and the admin answers this same device again (redeem is
 * idempotent for it) with the rest. An address that fails gives way to the next, after a pause
 * that grows; each failure without progress counts, and too many end the join with the last error.
 */
export async function joinByInvite(components: JoinClientComponents, invite: InvitePayload, userId: UserId, name: string): Promise<JoinOutcome> {
  const partial = createMembershipLog(invite.ws)
  const ops = new Map<string, VerifiedOp>()
  const onOps = async (signed: Array<{ bytes: Uint8Array; sig: Uint8Array }>): Promise<void> => {
    const fresh: VerifiedOp[] = []
    for (const s of signed) {
      if (ops.has(opId(s.bytes))) continue
      const op = await verifyOp(s, invite.ws)
      ops.set(op.id, op)
      fresh.push(op)
    }
    partial.add(fresh)
  }

  const addresses = invite.addresses
  if (addresses.length === 0) throw new EnclaveError('peer-unreachable', 'the invite carries no address')
  let lastError: unknown
  let cursor: SyncCursor | null = null
  let failures = 0
  let at = 0
  for (let exchange = 0; exchange < MAX_EXCHANGES && failures <= addresses.length + 2; exchange++) {
    if (failures > 0) await new Promise((resolve) => setTimeout(resolve, (components.backoffMs ?? backoff)(failures)))
    const address = addresses[at % addresses.length] ?? ''
    const before = ops.size
    try {
      const answer = await requestJoin(await components.open(address), { ws: invite.ws, inviteId: invite.inviteId, secret: invite.secret, userId, profile: { name }, have: partial.recentHeads(JOIN_HAVE), from: cursor }, onOps)
      if (!answer.more) return { status: answer.status, certificate: answer.certificate, userId: answer.userId, ops: [...ops.values()] }
      cursor = answer.cursor
      if (ops.size === before) throw new EnclaveError('bad-frame', 'the join answer said there was more but brought nothing new')
      failures = 0
      components.log.debug('join answer continues', { ws: invite.ws, ops: ops.size })
    } catch (err) {
      if (isFinal(err)) throw err
      // The inviting device answers anyone without the invite's secret the same way.
      lastError = isStrangerRefusal(err) ? new EnclaveError('invite-invalid', 'unknown invite: the inviting device does not accept it') : err
      // What arrived before the failure is kept; progress means the same address is worth another try.
      failures = ops.size > before ? 0 : failures + 1
      if (ops.size === before) at++
      components.log.debug('join exchange failed', { address, ops: ops.size, error: errorMessage(err) })
    }
  }
  if (lastError === undefined) throw new EnclaveError('peer-unreachable', 'the inviting device kept saying there was more of the log')
  throw lastError instanceof EnclaveError ? lastError : new EnclaveError('peer-unreachable', `could not reach the inviting device: ${errorMessage(lastError)}`)
}
