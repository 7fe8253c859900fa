import { EnclaveError } from '../errors.js'
import { isActive, membersOf } from '../crypto/mls-group.js'
import { dmConversationId, kindOfConversation, personDmId, workspaceChannelId } from './ids.js'
import { parseConversationId } from '../ids.js'
import type { ConversationId, PeerIdString, WorkspaceId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { MembershipPolicy } from './membership-policy.js'
import type { AppPayload, ChannelInfo } from './envelope.js'
import type { GroupStates } from './group-states.js'
import type { ConversationRecord, MessageLog } from './message-log.js'
import type { ClientState } from 'ts-mls'

/** The conversation an MLS group belongs to: group ids are `<conversation>/<creator>`. */
export function conversationOfGroup(groupId: string): ConversationId {
  return parseConversationId(groupId.slice(0, groupId.indexOf('/')))
}

/** Who may be in which group, who commits, and what a conversation's record says of its group. */
export interface ConversationRules {
  mayBeIn: (conv: ConversationId, device: PeerIdString) => boolean
  /** The channel's creator or a workspace admin: may remove members and archive. */
  canManage: (record: ConversationRecord) => boolean
  /** Does `device` manage the channel (its creator, or an admin of its workspace)? False for DMs. */
  manages: (record: ConversationRecord, device: PeerIdString) => boolean
  /** Are two devices one person's in the conversation's workspace (a device is its own person's)? */
  samePerson: (record: ConversationRecord, a: PeerIdString, b: PeerIdString) => boolean
  /**
   * Minutes after sending its author may recall a message here (a manager any time): the channel's
   * workspace rule; a DM takes the shortest of the workspaces the two share. Null: any time.
   */
  recallMinutes: (record: ConversationRecord) => number | null
  /** What a conversation's view says this device may do there (remembered, for `staleViews`). */
  viewRules: (record: ConversationRecord) => { canManage: boolean; recallMinutes: number | null }
  /** Conversations whose view said other rules than hold now (a role or a workspace policy changed): to be told again. */
  staleViews: () => ConversationRecord[]
  /** The group this device sends in: for a DM both sides may have made one; the lower creator's wins. */
  currentGroup: (record: ConversationRecord) => { id: string; state: ClientState } | undefined
  /** The committer policy: the lowest leaf still in the workspace that has not asked to leave. */
  committerLeaf: (record: ConversationRecord, state: ClientState) => number | undefined
  /**
   * May the company's mailbox `box` hold copies of the conversation's ciphertext for its members:
   * one in the conversation's workspace (a person DM's devices are only the two people's).
   */
  mayHold: (conv: ConversationId, box: PeerIdString) => boolean
  /** The person DM `conv` is, between this device's person and another of a workspace, if it is one. */
  personDm: (conv: ConversationId) => { ws: WorkspaceId; person: string } | undefined
  /** Every device that belongs in a person DM now: both people's active devices. */
  dmDevices: (record: ConversationRecord) => PeerIdString[]
  /** A device of a DM's other person to show it by (its first active one; the one it began with otherwise). */
  dmPeer: (record: ConversationRecord) => PeerIdString | null
  /** The workspaces' people changed: person DM ids are derived again when next asked. */
  forgetPeople: () => void
  /** Copies members, committer and standing from a group state into the record. */
  refreshMembers: (record: ConversationRecord, state: ClientState) => void
  channelInfoOf: (record: ConversationRecord) => ChannelInfo
  /** Channel settings from a member: the newest wins; identity and archiving only from managers. */
  applyMeta: (record: ConversationRecord, p: Extract<AppPayload, { type: 'meta' }>) => void
}

export function createConversationRules(deps: { self: PeerIdString; policy: MembershipPolicy; messages: MessageLog; groups: GroupStates; log: Logger }): ConversationRules {
  const { self, policy, messages, groups, log } = deps

  /** Person DM ids of this device's people, derived from the workspaces' logs when first asked. */
  let personDms: Map<ConversationId, { ws: WorkspaceId; person: string }> | undefined
  const personDm = (conv: ConversationId): { ws: WorkspaceId; person: string } | undefined => {
    if (personDms === undefined) {
      personDms = new Map()
      for (const ws of policy.sharedWith(self)) {
        const me = policy.personOf(ws, self)
        if (me === null) continue
        for (const person of policy.people(ws)) if (person !== me) personDms.set(personDmId(ws, me, person), { ws, person })
      }
    }
    return personDms.get(conv)
  }
  /** Is `device` one of the two people's of a person DM (active, in its workspace)? */
  const inPersonDm = (ws: WorkspaceId, person: string, device: PeerIdString): boolean => {
    const of = policy.personOf(ws, device)
    return of !== null && (of === person || of === policy.personOf(ws, self))
  }
  const dmDevices = (record: ConversationRecord): PeerIdString[] => {
    if (record.kind !== 'dm' || record.workspaceId === null || record.peerUser === undefined) return []
    const me = policy.personOf(record.workspaceId, self)
    return [...(me === null ? [] : policy.devicesOfPerson(record.workspaceId, me)), ...policy.devicesOfPerson(record.workspaceId, record.peerUser)]
  }
  const dmPeer = (record: ConversationRecord): PeerIdString | null => {
    if (record.workspaceId === null || record.peerUser === undefined) return record.peerId
    const theirs = policy.devicesOfPerson(record.workspaceId, record.peerUser)
    return record.peerId !== null && theirs.includes(record.peerId) ? record.peerId : theirs[0] ?? record.peerId
  }

  const mayBeIn = (conv: ConversationId, device: PeerIdString): boolean => {
    if (device === self) return true
    const record = messages.conversation(conv)
    if (record?.kind === 'dm' && record.peerUser !== undefined && record.workspaceId !== null) return inPersonDm(record.workspaceId, record.peerUser, device)
    if (record === undefined && kindOfConversation(conv) === 'dm') {
      const dm = personDm(conv)
      if (dm !== undefined) return inPersonDm(dm.ws, dm.person, device)
    }
    // A DM between two devices holds those two only: any colleague's device "may be in" one let a
    // colleague start a group in it that sorted first and take it over.
    if (kindOfConversation(conv) === 'dm' && dmConversationId(self, device) !== conv) return false
    if (record !== undefined && record.workspaceId !== null) {
      // The workspace's own channel (its docs, everyone's posts) is for its members, not its guests.
      if (record.id === workspaceChannelId(record.workspaceId) && policy.isGuestDevice(record.workspaceId, device)) return false
      return policy.isActiveDevice(record.workspaceId, device)
    }
    if (kindOfConversation(conv) === 'dm') return true
    // A channel whose settings have not arrived yet: anyone sharing a workspace with us.
    return policy.sharedWith(device).length > 0
  }

  const manages = (record: ConversationRecord, device: PeerIdString): boolean =>
    record.kind === 'channel' && (record.creator === device || (record.workspaceId !== null && policy.isAdminDevice(record.workspaceId, device)))
  const canManage = (record: ConversationRecord): boolean => manages(record, self)
  const recallMinutes = (record: ConversationRecord): number | null => {
    const spaces = record.workspaceId !== null ? [record.workspaceId] : record.peerId === null ? [] : policy.sharedWith(record.peerId)
    const limits = spaces.map((ws) => policy.recallMinutes(ws)).filter((m): m is number => m !== null)
    return limits.length === 0 ? null : Math.min(...limits)
  }

  const currentGroup = (record: ConversationRecord): { id: string; state: ClientState } | undefined => {
    // A DM's devices may each have started a group before hearing of another's: every device
    // holds them all (each starter adds every device) and sends in the same one, the lowest id.
    const ids = record.kind === 'channel' ? [`${record.id}/${record.creator ?? ''}`]
      : record.peerUser === undefined ? [self, record.peerId ?? ''].sort().map((c) => `${record.id}/${c}`)
        : groups.idsOf(record.id)
    for (const id of ids) {
      const state = groups.get(id)
      if (state !== undefined && isActive(state)) return { id, state }
    }
    return undefined
  }

  const committerLeaf = (record: ConversationRecord, state: ClientState): number | undefined =>
    membersOf(state).find((m) => mayBeIn(record.id, m.device) && !record.leaving.includes(m.device))?.leaf

  const refreshMembers = (record: ConversationRecord, changed: ClientState): void => {
    // A DM's record follows the group its devices send in, whichever of its groups changed: two
    // devices each following the last one they heard of took each other for committer.
    const state = record.kind === 'dm' ? currentGroup(record)?.state ?? changed : changed
    const members = membersOf(state)
    record.members = members.map((m) => m.device)
    record.pendingMembers = record.pendingMembers.filter((d) => !record.members.includes(d))
    record.leaving = record.leaving.filter((d) => record.members.includes(d))
    record.requests = record.requests
      .map((r) => ({ ...r, devices: r.devices.filter((d) => (r.op === 'add') !== record.members.includes(d)) }))
      .filter((r) => r.devices.length > 0)
    const leaf = committerLeaf(record, state)
    record.committer = members.find((m) => m.leaf === leaf)?.device ?? null
    if (!isActive(state) && record.status !== 'left') record.status = 'removed'
  }

  /** A channel's workspace: every channel has one (DMs have none and carry no settings). */
  const workspaceOf = (record: ConversationRecord): WorkspaceId => {
    if (record.workspaceId === null) throw new EnclaveError('internal', `channel ${record.id} has no workspace`)
    return record.workspaceId
  }

  const channelInfoOf = (record: ConversationRecord): ChannelInfo => ({
    name: record.name ?? '',
    topic: record.topic,
    visibility: record.visibility ?? 'private',
    archived: record.archived,
    ws: workspaceOf(record),
    creator: record.creator ?? self
  })

  const applyMeta = (record: ConversationRecord, p: Extract<AppPayload, { type: 'meta' }>): void => {
    if (record.kind !== 'channel' || p.hlc <= record.metaHlc) return
    const c = p.channel
    const author = p.author
    // A channel never moves between workspaces, and who manages it is decided in its own: settings
    // naming another workspace would let an admin of that one (which this device may also be in)
    // archive or take over a channel it has no say in.
    if (record.workspaceId !== null && c.ws !== record.workspaceId) {
      log.warn('refused channel settings naming another workspace', { conv: record.id, author, code: 'wrong-conversation' })
      return
    }
    const ws = record.workspaceId ?? c.ws
    // A workspace's own channel has a well-known id: only that workspace's admins may make it.
    if ((c.visibility === 'workspace' || record.visibility === 'workspace') && (record.id !== workspaceChannelId(ws) || !policy.isAdminDevice(ws, c.creator))) {
      log.warn('refused workspace channel settings not made by the workspace\'s admins', { conv: record.id, author, code: 'unauthorized' })
      return
    }
    const manager = record.creator === null || record.creator === author || policy.isAdminDevice(ws, author)
    // Archiving and the channel's identity (workspace, creator) are the managers'; the rest anyone's.
    if (!manager && (c.archived !== record.archived || c.ws !== record.workspaceId || c.creator !== record.creator)) {
      log.warn('refused channel settings from a member who may not change them', { conv: record.id, author, code: 'unauthorized' })
      return
    }
    record.metaHlc = p.hlc
    record.name = c.name
    record.topic = c.topic
    record.visibility = c.visibility
    record.archived = c.archived
    record.workspaceId = c.ws
    record.creator = c.creator
  }

  /** The rules each conversation's view last said. */
  const shown = new Map<ConversationId, string>()
  const said = (r: { canManage: boolean; recallMinutes: number | null }): string => `${String(r.canManage)}/${String(r.recallMinutes)}`
  const viewRules = (record: ConversationRecord): { canManage: boolean; recallMinutes: number | null } => {
    const r = { canManage: canManage(record), recallMinutes: recallMinutes(record) }
    shown.set(record.id, said(r))
    return r
  }
  const staleViews = (): ConversationRecord[] => messages.conversations().filter((record) => {
    const was = shown.get(record.id)
    return was !== undefined && was !== said({ canManage: canManage(record), recallMinutes: recallMinutes(record) })
  })
  const samePerson = (record: ConversationRecord, a: PeerIdString, b: PeerIdString): boolean =>
    a === b || (record.workspaceId !== null && policy.devicesOfPeople(record.workspaceId, [a]).includes(b))

  const mayHold = (conv: ConversationId, box: PeerIdString): boolean => {
    if (mayBeIn(conv, box)) return true
    const ws = messages.conversation(conv)?.workspaceId ?? personDm(conv)?.ws ?? null
    return ws !== null && policy.isActiveDevice(ws, box)
  }

  return {
    mayHold, mayBeIn, canManage, manages, samePerson, recallMinutes, viewRules, staleViews, currentGroup, committerLeaf, refreshMembers, channelInfoOf, applyMeta,
    personDm, dmDevices, dmPeer, forgetPeople: () => { personDms = undefined }
  }
}
