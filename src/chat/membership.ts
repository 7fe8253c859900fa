import { EnclaveError, errorMessage } from '../errors.js'
import { deviceOfCredential } from '../crypto/mls-credential.js'
import { commitChanges, createGroupState, decodeKeyPackage, epochOf, membersOf, type CommitOutput } from '../crypto/mls-group.js'
import { askGroup } from './group-protocol.js'
import type { PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { Delivery } from './delivery.js'
import type { AppPayload } from './envelope.js'
import type { ConversationRecord } from './message-log.js'
import type { KeyPackage } from 'ts-mls'

/**
 * Changing who is in a group, under the committer policy (docs/protocol.md): the committer
 * commits; everyone else asks it with `request` messages inside the group, which every member
 * notes until a commit carries them out.
 */
export interface Membership {
  /** A device's key package: from the device itself, or else one it left at a mailbox. */
  keyPackageOf: (device: PeerIdString) => Promise<KeyPackage>
  /** Commits adds and removes as this conversation's committer; sends commit, welcome and settings. */
  commitAsCommitter: (record: ConversationRecord, change: { add?: PeerIdString[]; remove?: PeerIdString[] }) => Promise<void>
  request: (record: ConversationRecord, op: 'add' | 'remove' | 'leave', devices: PeerIdString[]) => Promise<void>
  handleRequest: (record: ConversationRecord, p: Extract<AppPayload, { type: 'request' }>) => Promise<void>
  hasOpenWork: (record: ConversationRecord) => boolean
  serveOpenWork: (record: ConversationRecord) => Promise<void>
  /** A DM's group, made now if neither side made one yet (needs the peer's key package). */
  ensureDmGroup: (record: ConversationRecord) => Promise<void>
  /** Devices the committer should add now: every member's, in the workspace's own channel; a member's newly linked ones, in any channel. */
  newcomers: (record: ConversationRecord) => PeerIdString[]
  /** A workspace's membership changed: as committer, removes devices that may no longer read and adds its people's new ones. */
  workspaceChanged: (ws: string) => void
}

export function createMembership(ctx: ChatContext, delivery: Delivery): Membership {
  const { store, self, log, policy, messages, cipher, keys, groups, components, configFor, announce } = ctx
  const { mayBeIn, currentGroup, committerLeaf, refreshMembers, channelInfoOf, dmDevices } = ctx.rules
  const { enqueue, kickAll, sealAndQueue, markSeen, outbox } = delivery

  /** A conversation of people (a channel, a person DM), not of single devices (a DM with a device outside any shared workspace). */
  const ofPeople = (record: ConversationRecord): boolean => record.workspaceId !== null && (record.kind === 'channel' || record.peerUser !== undefined)
  /**
   * A conversation holds people, not single devices: a member's other devices belong in it too,
   * and one device leaving or removed takes its person's devices along.
   */
  const withTheirPeople = (record: ConversationRecord, devices: readonly PeerIdString[]): PeerIdString[] =>
    record.workspaceId === null || !ofPeople(record) ? [...devices] : [...new Set([...devices, ...policy.devicesOfPeople(record.workspaceId, devices)])]

  const newcomers = (record: ConversationRecord): PeerIdString[] => {
    if (record.workspaceId === null || !ofPeople(record)) return []
    const services = components.mailboxes()
    const leaving = new Set(withTheirPeople(record, record.leaving))
    const candidates = record.kind === 'dm' ? dmDevices(record) : record.visibility === 'workspace' ? policy.activeDevices(record.workspaceId) : policy.devicesOfPeople(record.workspaceId, record.members)
    return candidates.filter((d) => !record.members.includes(d) && !services.includes(d) && !leaving.has(d) && mayBeIn(record.id, d))
  }

  /** A device's key package: from the device itself, or else one it left at a mailbox. */
  const keyPackageOf = async (device: PeerIdString): Promise<KeyPackage> => {
    const fetchFrom = async (from: PeerIdString, timeoutMs: number): Promise<KeyPackage> => {
      const stream = await ctx.openGroupStream(from, AbortSignal.timeout(timeoutMs))
      const reply = await askGroup(stream, from === device ? { t: 'kp' } : { t: 'kp', for: device })
      const kp = decodeKeyPackage(reply.kp)
      // Whoever hands it over, the package must be signed for that device by that device.
      if (await deviceOfCredential(kp.leafNode.credential, kp.leafNode.signaturePublicKey) !== device) throw new EnclaveError('wrong-author', 'key package does not belong to the device it is for')
      return kp
    }
    try {
      return await fetchFrom(device, 10_000)
    } catch (err) {
      for (const box of components.mailboxes()) {
        if (box === device || box === self) continue
        try { return await fetchFrom(box, 5_000) } catch { /* the next mailbox may have one */ }
      }
      throw err
    }
  }

  /** Commits adds and removes as this conversation's committer; sends commit, welcome and settings. */
  const commitAsCommitter = async (record: ConversationRecord, change: { add?: PeerIdString[]; remove?: PeerIdString[] }): Promise<void> => {
    const group = currentGroup(record)
    if (group === undefined) throw new EnclaveError('not-member', 'this device is not in the conversation\'s group')
    // Before fetching key packages and committing: the commit could not be sent anyway.
    ctx.resync.check(record)
    if (committerLeaf(record, group.state) !== membersOf(group.state).find((m) => m.device === self)?.leaf) throw new EnclaveError('not-committer', 'another member commits changes to this conversation now')
    const current = membersOf(group.state)
    const adds: KeyPackage[] = []
    const added: PeerIdString[] = []
    const unreachable: PeerIdString[] = []
    for (const device of change.add ?? []) {
      if (current.some((m) => m.device === device) || added.includes(device)) continue
      if (!mayBeIn(record.id, device)) throw new EnclaveError('not-member', `${device} is not an active member of this workspace`)
      try {
        adds.push(await keyPackageOf(device))
        added.push(device)
      } catch (err) {
        // A mailbox or relay in the workspace refuses for good; anyone else may answer later.
        if (err instanceof EnclaveError && err.code === 'unauthorized') continue
        log.debug('cannot add a device yet', { device, error: errorMessage(err) })
        unreachable.push(device)
      }
    }
    const removeLeaves = current.filter((m) => change.remove?.includes(m.device) === true && m.device !== self).map((m) => m.leaf)
    record.pendingMembers = [...new Set([...record.pendingMembers, ...unreachable])]
    if (adds.length === 0 && removeLeaves.length === 0) {
      const batch = store.batch()
      messages.saveConversation(batch, record)
      await batch.write()
      return
    }
    const before = record.members
    const out: CommitOutput = await commitChanges(group.state, { add: adds, remove: removeLeaves })
    const batch = store.batch()
    groups.stage(batch, group.id, out.state)
    const removed = current.filter((m) => removeLeaves.includes(m.leaf)).map((m) => m.device)
    const recipients: PeerIdString[] = []
    const commitEnv = ctx.sign({ v: 3, conv: record.id, author: self, seq: ctx.resync.takeSeq(record), kind: 'commit', epoch: epochOf(group.state), mls: out.commit })
    markSeen(record, self, commitEnv.seq)
    recipients.push(...enqueue(batch, record, commitEnv, cipher.put(batch, commitEnv), [...before, ...removed, ...added], null))
    if (out.welcome !== null) {
      const welcomeEnv = ctx.sign({ v: 3, conv: record.id, author: self, seq: ctx.resync.takeSeq(record), kind: 'welcome', epoch: epochOf(out.state), mls: out.welcome, to: added })
      markSeen(record, self, welcomeEnv.seq)
      recipients.push(...enqueue(batch, record, welcomeEnv, cipher.put(batch, welcomeEnv), [...before, ...added], null))
    }
    refreshMembers(record, out.state)
    if (record.kind === 'channel' && added.length > 0) {
      // Joiners learn the channel's name and settings from this, the first message of their epoch.
      const sent = await sealAndQueue(batch, record, (seq, hlc) => ({ type: 'meta', conv: record.id, author: self, seq, hlc, channel: channelInfoOf(record) }))
      recipients.push(...sent.recipients)
    }
    messages.saveConversation(batch, record)
    await batch.write()
    kickAll(recipients)
    log.info('committed', { conv: record.id, epoch: epochOf(out.state), added: added.length, removed: removed.length })
    await announce(record)
  }

  /**
   * Asks for a membership change. The committer carries out its own adds and removes at once;
   * everyone else (and a committer leaving, which MLS cannot commit for itself) sends a request
   * inside the group: durable in the outbox, authenticated by MLS, seen by every member.
   */
  const request = async (record: ConversationRecord, op: 'add' | 'remove' | 'leave', devices: PeerIdString[]): Promise<void> => {
    const group = currentGroup(record)
    if (group === undefined) throw new EnclaveError('not-member', 'this device is not in the conversation\'s group')
    refreshMembers(record, group.state)
    if (record.committer === self && op !== 'leave') {
      const people = withTheirPeople(record, devices)
      // What was asked for goes as asked (and fails as before); the person's other devices go along where they may.
      await commitAsCommitter(record, op === 'add' ? { add: people.filter((d) => devices.includes(d) || mayBeIn(record.id, d)) } : { remove: people.filter((d) => devices.includes(d) || d !== self) })
      return
    }
    const batch = store.batch()
    if (op === 'leave') record.leaving = [...new Set([...record.leaving, self])]
    if (op === 'add') record.pendingMembers = [...new Set([...record.pendingMembers, ...devices])]
    const sent = await sealAndQueue(batch, record, (seq, hlc) => ({ type: 'request', conv: record.id, author: self, seq, hlc, op, devices }))
    await batch.write()
    kickAll(sent.recipients)
  }

  /** Every member notes a request; the committer acts on it if the rules allow. */
  const handleRequest = async (record: ConversationRecord, p: Extract<AppPayload, { type: 'request' }>): Promise<void> => {
    const author = p.author
    const group = currentGroup(record)
    if (group === undefined) return
    if (p.op === 'leave') record.leaving = [...new Set([...record.leaving, author])]
    else record.requests = [...record.requests, { author, op: p.op, devices: p.devices }]
    refreshMembers(record, group.state)
    const batch = store.batch()
    messages.saveConversation(batch, record)
    await batch.write()
    if (record.committer === self) await serveOpenWork(record)
  }

  /** Has the committer anything left to do: requests not carried out, members asking to leave? */
  const hasOpenWork = (record: ConversationRecord): boolean =>
    record.requests.length > 0 || record.leaving.some((d) => d !== self && record.members.includes(d))

  /**
   * The committer carries out what members asked for and is still undone: on receipt, and when
   * this device becomes committer with requests it noted before.
   */
  const serveOpenWork = async (record: ConversationRecord): Promise<void> => {
    const group = currentGroup(record)
    if (group === undefined) return
    refreshMembers(record, group.state)
    if (record.committer !== self) return
    const add = new Set<PeerIdString>()
    const remove = new Set<PeerIdString>(withTheirPeople(record, record.leaving).filter((d) => d !== self && record.members.includes(d)))
    for (const r of record.requests) {
      if (r.op === 'add') { for (const d of withTheirPeople(record, r.devices)) if (mayBeIn(record.id, d)) add.add(d); continue }
      const allowed = record.creator === r.author || (record.workspaceId !== null && policy.isAdminDevice(record.workspaceId, r.author))
      if (allowed) for (const d of withTheirPeople(record, r.devices)) if (d !== self) remove.add(d)
      else log.warn('refused a removal request', { conv: record.id, author: r.author, code: 'unauthorized' })
    }
    // Requests that cannot be carried out (refused, or for devices not in the workspace) are dropped.
    record.requests = []
    if (add.size === 0 && remove.size === 0) {
      const batch = store.batch()
      messages.saveConversation(batch, record)
      await batch.write()
      return
    }
    await commitAsCommitter(record, { add: [...add], remove: [...remove] })
  }

  /**
   * A DM's group, made now if no device made one yet. It holds every device of the two people
   * that hands over a key package; at least one of the other person's must (the message waits
   * otherwise). The rest are pending: the committer adds them when they connect.
   */
  const ensureDmGroup = async (record: ConversationRecord): Promise<void> => {
    if (currentGroup(record) !== undefined || record.peerId === null) return
    const services = components.mailboxes()
    const wanted = record.peerUser === undefined ? [record.peerId] : dmDevices(record).filter((d) => d !== self && !services.includes(d))
    const theirs = record.peerUser === undefined || record.workspaceId === null ? wanted : policy.devicesOfPerson(record.workspaceId, record.peerUser)
    const started = Date.now()
    const got = await Promise.allSettled(wanted.map((d) => keyPackageOf(d)))
    const fetchedAt = Date.now()
    const kps: KeyPackage[] = []
    const added: PeerIdString[] = []
    const unreachable: PeerIdString[] = []
    for (const [i, r] of got.entries()) {
      const device = wanted[i]
      if (device === undefined) continue
      if (r.status === 'fulfilled') { kps.push(r.value); added.push(device) } else unreachable.push(device)
    }
    if (!added.some((d) => theirs.includes(d))) {
      const reason = got.find((r, i) => r.status === 'rejected' && theirs.includes(wanted[i] ?? self))
      throw reason?.status === 'rejected' ? reason.reason : new EnclaveError('not-found', 'the other person has no device to start the conversation with')
    }
    const own = await keys.issue()
    const groupId = `${record.id}/${self}`
    const state = await createGroupState(groupId, own, configFor(groupId))
    await keys.consume(own.ref)
    const out = await commitChanges(state, { add: kps })
    const batch = store.batch()
    groups.stage(batch, groupId, out.state)
    if (out.welcome === null) throw new EnclaveError('internal', 'adding a member made no welcome')
    const welcomeEnv = ctx.sign({ v: 3, conv: record.id, author: self, seq: ctx.resync.takeSeq(record), kind: 'welcome', epoch: epochOf(out.state), mls: out.welcome, to: added })
    markSeen(record, self, welcomeEnv.seq)
    enqueue(batch, record, welcomeEnv, cipher.put(batch, welcomeEnv), added, null)
    record.status = 'active'
    refreshMembers(record, out.state)
    record.pendingMembers = [...new Set([...record.pendingMembers, ...unreachable])]
    messages.saveConversation(batch, record)
    await batch.write()
    for (const device of added) outbox.kick(device)
    log.debug('DM group set up', { devices: added.length, pending: unreachable.length, keyPackageMs: fetchedAt - started, groupMs: Date.now() - fetchedAt })
  }

  const workspaceChanged = (ws: string): void => {
    ctx.rules.forgetPeople()
    for (const record of messages.conversations()) {
      if (record.workspaceId !== ws || record.status !== 'active') continue
      const group = currentGroup(record)
      if (group === undefined) continue
      void groups.serial(record.id, async () => {
        refreshMembers(record, group.state)
        if (record.committer !== self) return
        const gone = record.members.filter((d) => !mayBeIn(record.id, d))
        // The workspace's own channel follows the workspace, any channel its people's devices.
        const come = newcomers(record)
        if (gone.length > 0 || come.length > 0) await commitAsCommitter(record, { remove: gone, add: come })
        // The previous committer may have left the workspace with requests still open.
        if (hasOpenWork(record)) await serveOpenWork(record)
      }).catch((err: unknown) => { log.warn('could not remove departed members', { conv: record.id, error: errorMessage(err) }) })
    }
  }

  return { keyPackageOf, commitAsCommitter, request, handleRequest, hasOpenWork, serveOpenWork, ensureDmGroup, newcomers, workspaceChanged }
}
