import { RateLimiter } from '@libp2p/utils'
import { EnclaveError } from '../errors.js'
import { deviceOfCredential } from '../crypto/mls-credential.js'
import { decodeKeyPackage, encodeKeyPackage } from '../crypto/mls-group.js'
import { askGroup, CATCHUP_PAGE, MAX_DEPOSIT, parseEnvelopes, type GroupHandlers } from './group-protocol.js'
import type { PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { Envelope } from './envelope.js'
import type { GapWatch } from './gap-watch.js'
import type { Typing } from './typing.js'
import type { Inbound } from './inbound.js'
import type { Membership } from './membership.js'
import type { ConversationRecord } from './message-log.js'

/** Most bytes of envelopes in one catch-up reply (the frame limit is 4 MiB). */
const CATCHUP_BYTES = 3 * 1024 * 1024

/** `/enclave/group/4.0.0`: what this device answers, and what it asks of others. */
export interface GroupService {
  readonly handlers: GroupHandlers
  /** Asks a member for the conversation's envelopes this device lacks, page by page. */
  catchUp: (peer: PeerIdString, record: ConversationRecord) => Promise<void>
  /** Leaves a few key packages at a mailbox, for colleagues who start a DM while this device is away. */
  depositAt: (mailbox: PeerIdString) => Promise<void>
}

export function createGroupService(ctx: ChatContext, membership: Membership, inbound: Inbound, gaps: Pick<GapWatch, 'heard'>, typing: Pick<Typing, 'heard'>): GroupService {
  const { store, self, log, policy, messages, cipher, keys, groups, components } = ctx
  const { request } = membership
  const { receive } = inbound
  /** Mailbox role: key packages other devices left here, a few per device, handed out once each. */
  const deposited = store.collection<string[]>('mlsDeposits')
  /**
   * Key packages one device may ask for a minute: plenty to be added to several channels at once.
   * Each costs this device a stored private key, and at a mailbox one of the few packages another
   * device left there: a flood would evict the package a real add is about to use, or drain them.
   * At a mailbox the limit is per device asked about (a committer adding many devices needs one
   * each), and tight: a device leaves only a few there.
   */
  const ownPackages = new RateLimiter({ points: 20, duration: 60 })
  const leftPackages = new RateLimiter({ points: 2, duration: 600 })
  /**
   * Another device of this device's person adds it to every channel of theirs it commits: a
   * newly linked laptop of someone in fifty channels, at once (it is the same person).
   */
  const siblingPackages = new RateLimiter({ points: 500, duration: 60 })
  const sibling = (from: PeerIdString): boolean => policy.sharedWith(from).some((ws) => policy.devicesOfPeople(ws, [self]).includes(from))
  const limit = (from: PeerIdString, device: PeerIdString | undefined): void => {
    try {
      if ((device === undefined || device === self) && sibling(from)) siblingPackages.consume(from)
      else if (device === undefined || device === self) ownPackages.consume(from)
      else leftPackages.consume(`${from}/${device}`)
    } catch {
      throw new EnclaveError('rate-limited', 'too many key package requests; ask again in a minute')
    }
  }

  const catchUp = async (peer: PeerIdString, record: ConversationRecord): Promise<void> => {
    for (let more = true; more;) {
      const stream = await ctx.openGroupStream(peer, AbortSignal.timeout(30_000))
      // A person DM's groups each have their own epochs: the lowest join covers them all (what is
      // from before in each is told apart on arrival).
      const since = record.joinedEpochs === undefined ? record.joinedEpoch : Math.min(...Object.values(record.joinedEpochs))
      const reply = await askGroup(stream, { t: 'catchup', conv: record.id, have: record.seen, ...(since === undefined ? {} : { since }) })
      const envs = parseEnvelopes(reply.envs).filter((e) => e.conv === record.id)
      await receive(peer, envs)
      // Only go on while the peer makes progress, whatever it claims.
      more = reply.more && envs.length > 0
    }
  }

  const groupHandlers: GroupHandlers = {
    keyPackage: async (from, device) => {
      limit(from, device)
      if (device === undefined || device === self) {
        // Service nodes carry ciphertext and never hold a conversation's keys, even as workspace members.
        if (components.mailbox === true || components.service === true) throw new EnclaveError('unauthorized', 'a mailbox or relay joins no conversation')
        return encodeKeyPackage((await keys.issue()).publicPackage)
      }
      if (components.mailbox !== true) throw new EnclaveError('not-found', 'this device keeps no key packages for others')
      const list = await deposited.get(device) ?? []
      const kp = list.shift()
      if (kp === undefined) throw new EnclaveError('not-found', 'no key package left here for that device')
      await deposited.put(device, list)
      return new Uint8Array(Buffer.from(kp, 'base64'))
    },
    deposit: async (from, kps) => {
      if (components.mailbox !== true) throw new EnclaveError('bad-request', 'this device is not a mailbox')
      for (const kp of kps) {
        const parsed = decodeKeyPackage(kp)
        if (await deviceOfCredential(parsed.leafNode.credential, parsed.leafNode.signaturePublicKey) !== from) throw new EnclaveError('wrong-author', 'a device may only deposit its own key packages')
      }
      const list = [...await deposited.get(from) ?? [], ...kps.map((k) => Buffer.from(k).toString('base64'))]
      await deposited.put(from, list.slice(-MAX_DEPOSIT))
      log.debug('kept key packages', { device: from, count: Math.min(list.length, MAX_DEPOSIT) })
    },
    join: async (from, conv) => {
      const record = messages.conversation(conv)
      if (record === undefined || record.kind !== 'channel' || record.visibility !== 'open' || record.archived) throw new EnclaveError('not-found', 'no open channel with that id here')
      if (record.workspaceId === null || !policy.isActiveDevice(record.workspaceId, from) || policy.isGuestDevice(record.workspaceId, from)) throw new EnclaveError('not-member', 'only workspace members may join')
      await groups.serial(record.id, () => request(record, 'add', [from]))
    },
    catchup: async (from, conv, have, since) => {
      const record = messages.conversation(conv)
      if (record === undefined || !(record.members.includes(from) || record.pendingMembers.includes(from))) throw new EnclaveError('not-member', 'not a member of that conversation')
      const envs = await cipher.missing(conv, have, CATCHUP_PAGE, since)
      let bytes = 0
      const page: Envelope[] = []
      for (const env of envs) {
        bytes += env.mls.byteLength + 200
        if (bytes > CATCHUP_BYTES && page.length > 0) break
        page.push(env)
      }
      return { envs: page, more: page.length < envs.length || envs.length === CATCHUP_PAGE }
    },
    heads: (from, convs) => { gaps.heard(from, convs) },
    typing: (from, conv) => { typing.heard(from, conv) },
    browse: (from, ws) => {
      if (!policy.isActiveDevice(ws, from) || policy.isGuestDevice(ws, from)) throw new EnclaveError('not-member', 'not a member of that workspace')
      return messages.conversations()
        .filter((r) => r.kind === 'channel' && r.visibility === 'open' && !r.archived && r.workspaceId === ws && r.status === 'active')
        .map((r) => ({ id: r.id, workspaceId: ws, name: r.name ?? '', topic: r.topic, memberCount: r.members.length }))
    }
  }

  const depositAt = async (mailbox: PeerIdString): Promise<void> => {
    const kps = await Promise.all(Array.from({ length: 3 }, async () => encodeKeyPackage((await keys.issue()).publicPackage)))
    await askGroup(await ctx.openGroupStream(mailbox, AbortSignal.timeout(10_000)), { t: 'deposit', kps })
  }

  return { handlers: groupHandlers, catchUp, depositAt }
}
