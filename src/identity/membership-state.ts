import type { OpBody, Profile, Role, VerifiedOp } from './membership-op.js'

/**
 * A workspace's rules for files (admins set them, op `filePolicy`): the largest file,
 * extensions nobody may share or fetch (`exe`, `bat`), and whether files go in conversations
 * that have a guest in them. Enforced in files/file-policy.ts.
 */
export interface FilePolicy {
  maxBytes: number | null
  /** Lower-case extensions without the dot. */
  blocked: string[]
  guests: boolean
}

/** No rules: a workspace that never set any. */
export const OPEN_FILE_POLICY: FilePolicy = { maxBytes: null, blocked: [], guests: true }
import type { DepartmentId, InviteId, PeerIdString, UserId, WorkspaceId } from '../api/contract.js'

export interface Member {
  userId: UserId
  role: Role
  /** `pending` members redeemed an invite that needs an admin's approval; they get no certificate. */
  status: 'active' | 'pending'
  devices: PeerIdString[]
  profile: Profile
  departments: DepartmentId[]
}

export interface InviteRecord {
  inviteId: InviteId
  /** The secret's hash inline (ops from before sealed fields), or null. */
  secretHash: string | null
  /** Commitment to the secret's hash, whose value members fetch; null for inline ones. */
  secretSealed: string | null
  role: Role
  expiresAt: number
  approval: boolean
  createdBy: string
  /** How many may join with it (1 for a personal invite). */
  maxUses: number
  /** Who joined with it, in the log's order. */
  redeemedBy: UserId[]
  /** Departments a member who joins with it is placed in. */
  departments: DepartmentId[]
  revoked: boolean
}

export interface DepartmentRecord {
  id: DepartmentId
  parentId: DepartmentId | null
  name: string
  order: number
}

/** Everything the log says, at one point of its linearization. */
export interface MembershipState {
  ws: WorkspaceId
  name: string
  rootKey: Uint8Array
  members: Map<string, Member>
  /** Device PeerId → userId, for active and pending members. */
  devices: Map<string, UserId>
  /** Users once removed; their ids are never reused. */
  removed: Set<string>
  /** Devices of removed users: refused at the door. */
  removedDevices: Set<string>
  invites: Map<string, InviteRecord>
  departments: Map<string, DepartmentRecord>
  /** The company's relays (full multiaddrs): every member dials them and keeps a reservation. */
  relays: string[]
  /**
   * Members' devices carry encrypted traffic (circuit relay) between colleagues who have no other
   * path, while the workspace names no relay of its own. On unless an admin turned it off.
   */
  memberRelay: boolean
  filePolicy: FilePolicy
  messagePolicy: MessagePolicy
  /** Backups of members' devices: up to them (the default), required, or forbidden. */
  backupPolicy: BackupPolicy
}

export type BackupPolicy = 'optional' | 'required' | 'forbidden'

/** A workspace's rules for messages (admins set them, op `messagePolicy`). */
export interface MessagePolicy {
  /** Minutes after sending during which its author may recall a message; null: any time (the default). */
  recallMinutes: number | null
}

/** Devices one member may have in a workspace: each is in every group of theirs, and in the log everyone keeps. */
export const MAX_USER_DEVICES = 10

const RANK: Record<Role, number> = { guest: 0, member: 1, admin: 2, owner: 3 }

export function isAdminRole(role: Role): boolean {
  return RANK[role] >= RANK.admin
}

export function emptyState(ws: WorkspaceId): MembershipState {
  return { ws, name: '', rootKey: new Uint8Array(), members: new Map(), devices: new Map(), removed: new Set(), removedDevices: new Set(), invites: new Map(), departments: new Map(), relays: [], memberRelay: true, filePolicy: OPEN_FILE_POLICY, messagePolicy: { recallMinutes: null }, backupPolicy: 'optional' }
}

/** Why an op had no effect; kept for logs and tests, never shown raw to users. */
export type Rejection =
  | 'not-genesis' | 'unknown-author' | 'author-not-active' | 'not-admin' | 'owner-only'
  | 'unknown-user' | 'user-exists' | 'user-removed' | 'device-taken' | 'cannot-touch-owner'
  | 'unknown-invite' | 'invite-used' | 'invite-revoked' | 'invite-expired' | 'not-pending'
  | 'unknown-department' | 'invite-exists' | 'unknown-device' | 'last-device' | 'too-many-devices'

/** The active member behind a device, if any. */
export function memberOfDevice(state: MembershipState, device: string): Member | undefined {
  const userId = state.devices.get(device)
  return userId === undefined ? undefined : state.members.get(userId)
}

/**
 * Checks whether `op` is allowed in `state` and applies it. Returns null on success, or why it
 * was refused (the state is then unchanged). The rules:
 * - genesis (`create`) only as the first op, signed by the root key;
 * - admins and the owner manage members, invites and departments; only the owner makes or
 *   unmakes admins, and nobody removes or demotes the owner except the owner handing over;
 * - a member may change their own profile, add and take away their own devices (never the
 *   last), and leave;
 * - an invite is redeemed up to its number of uses (once, unless it says more), before it
 *   expires, unless revoked; whoever joins with it gets its role and departments.
 */
export function applyOp(state: MembershipState, op: VerifiedOp): Rejection | null {
  const body = op.body
  if (body.type === 'create') {
    if (op.author !== 'root' || state.members.size > 0 || op.parents.length > 0) return 'not-genesis'
    state.name = body.name
    state.rootKey = body.rootKey
    addMember(state, body.owner.userId, body.owner.device, 'owner', 'active', body.owner.profile)
    return null
  }
  if (op.author === 'root') return 'not-genesis'
  const author = memberOfDevice(state, op.author)
  if (author === undefined) return 'unknown-author'
  if (author.status !== 'active') return 'author-not-active'
  return applyByMember(state, author, body, op)
}

function applyByMember(state: MembershipState, author: Member, body: Exclude<OpBody, { type: 'create' }>, op: VerifiedOp): Rejection | null {
  const admin = isAdminRole(author.role)
  const owner = author.role === 'owner'
  switch (body.type) {
    case 'add': {
      if (!admin) return 'not-admin'
      if (body.role === 'owner') return 'owner-only'
      if (body.role === 'admin' && !owner) return 'owner-only'
      const taken = newUserCheck(state, body.userId, body.device)
      if (taken !== null) return taken
      addMember(state, body.userId, body.device, body.role, 'active', body.profile)
      return null
    }
    case 'remove': {
      const target = state.members.get(body.userId)
      if (target === undefined) return 'unknown-user'
      if (target.role === 'owner') return 'cannot-touch-owner'
      const self = target.userId === author.userId
      if (!self && !admin) return 'not-admin'
      if (!self && target.role === 'admin' && !owner) return 'owner-only'
      removeMember(state, target)
      return null
    }
    case 'role': {
      const target = state.members.get(body.userId)
      if (target === undefined) return 'unknown-user'
      if (!admin) return 'not-admin'
      if (target.role === 'owner' || body.role === 'owner') {
        // Handing over ownership: only the owner, to someone else, who must be active.
        if (!owner || target.userId === author.userId || target.status !== 'active') return 'cannot-touch-owner'
        author.role = 'admin'
        target.role = 'owner'
        return null
      }
      if ((target.role === 'admin' || body.role === 'admin') && !owner) return 'owner-only'
      target.role = body.role
      return null
    }
    case 'invite': {
      if (!admin) return 'not-admin'
      if (body.role === 'owner') return 'owner-only'
      if (body.role === 'admin' && !owner) return 'owner-only'
      if (state.invites.has(body.inviteId)) return 'invite-exists'
      const departments = [...new Set(body.departments ?? [])]
      if (departments.some((id) => !state.departments.has(id))) return 'unknown-department'
      state.invites.set(body.inviteId, { inviteId: body.inviteId, secretHash: body.secretHash ?? null, secretSealed: body.secretSealed ?? null, role: body.role, expiresAt: body.expiresAt, approval: body.approval, createdBy: author.userId, maxUses: body.uses ?? 1, redeemedBy: [], departments, revoked: false })
      return null
    }
    case 'revokeInvite': {
      if (!admin) return 'not-admin'
      const invite = state.invites.get(body.inviteId)
      if (invite === undefined) return 'unknown-invite'
      invite.revoked = true
      return null
    }
    case 'redeem': {
      if (!admin) return 'not-admin'
      const invite = state.invites.get(body.inviteId)
      if (invite === undefined) return 'unknown-invite'
      if (invite.revoked) return 'invite-revoked'
      if (invite.redeemedBy.length >= invite.maxUses) return 'invite-used'
      if (body.at > invite.expiresAt || op.ts > invite.expiresAt) return 'invite-expired'
      const taken = newUserCheck(state, body.userId, body.device)
      if (taken !== null) return taken
      invite.redeemedBy.push(body.userId)
      const member = addMember(state, body.userId, body.device, invite.role, invite.approval ? 'pending' : 'active', body.profile)
      // A department deleted since the invite was made is skipped.
      member.departments = invite.departments.filter((id) => state.departments.has(id))
      return null
    }
    case 'addDevice':
    case 'removeDevice': {
      const target = state.members.get(body.userId)
      if (target === undefined) return 'unknown-user'
      const refusal = mayManageDevices(author, target)
      if (refusal !== null) return refusal
      if (body.type === 'addDevice') {
        if (state.devices.has(body.device) || state.removedDevices.has(body.device)) return 'device-taken'
        if (target.devices.length >= MAX_USER_DEVICES) return 'too-many-devices'
        target.devices = [...target.devices, body.device]
        state.devices.set(body.device, target.userId)
        return null
      }
      if (!target.devices.includes(body.device)) return 'unknown-device'
      if (target.devices.length === 1) return 'last-device'
      target.devices = target.devices.filter((d) => d !== body.device)
      state.devices.delete(body.device)
      state.removedDevices.add(body.device)
      return null
    }
    case 'approve': {
      if (!admin) return 'not-admin'
      const target = state.members.get(body.userId)
      if (target === undefined) return 'unknown-user'
      if (target.status !== 'pending') return 'not-pending'
      target.status = 'active'
      return null
    }
    case 'profile': {
      const target = state.members.get(body.userId)
      if (target === undefined) return 'unknown-user'
      if (target.userId !== author.userId && !admin) return 'not-admin'
      target.profile = body.profile
      return null
    }
    case 'relays': {
      if (!admin) return 'not-admin'
      state.relays = [...new Set(body.relays)]
      return null
    }
    case 'settings': {
      if (!admin) return 'not-admin'
      state.memberRelay = body.memberRelay
      return null
    }
    case 'filePolicy': {
      if (!admin) return 'not-admin'
      state.filePolicy = { maxBytes: body.maxBytes, blocked: [...new Set(body.blocked)].sort(), guests: body.guests }
      return null
    }
    case 'messagePolicy': {
      if (!admin) return 'not-admin'
      state.messagePolicy = { recallMinutes: body.recallMinutes }
      return null
    }
    case 'backupPolicy': {
      if (!admin) return 'not-admin'
      state.backupPolicy = body.backups
      return null
    }
    case 'department': {
      if (!admin) return 'not-admin'
      if (body.parentId !== null && !state.departments.has(body.parentId)) return 'unknown-department'
      state.departments.set(body.departmentId, { id: body.departmentId, parentId: body.parentId, name: body.name, order: body.order })
      return null
    }
    case 'deleteDepartment': {
      if (!admin) return 'not-admin'
      const gone = state.departments.get(body.departmentId)
      if (gone === undefined) return 'unknown-department'
      state.departments.delete(body.departmentId)
      // Children move up to the deleted one's parent; members simply leave it.
      for (const d of state.departments.values()) if (d.parentId === body.departmentId) d.parentId = gone.parentId
      for (const m of state.members.values()) m.departments = m.departments.filter((id) => id !== body.departmentId)
      return null
    }
    case 'assign': {
      if (!admin) return 'not-admin'
      const target = state.members.get(body.userId)
      if (target === undefined) return 'unknown-user'
      if (body.departments.some((id) => !state.departments.has(id))) return 'unknown-department'
      target.departments = [...new Set(body.departments)]
      return null
    }
  }
}

/**
 * Who may add or take away a member's devices: the member (from a device of theirs), or whoever
 * could remove them (an admin for members and guests, the owner for admins). Nobody but the owner
 * touches the owner's: a device added there would hold the workspace.
 */
function mayManageDevices(author: Member, target: Member): Rejection | null {
  if (author.userId === target.userId) return null
  if (target.role === 'owner') return 'cannot-touch-owner'
  if (!isAdminRole(author.role)) return 'not-admin'
  if (target.role === 'admin' && author.role !== 'owner') return 'owner-only'
  return null
}

function newUserCheck(state: MembershipState, userId: string, device: string): Rejection | null {
  if (state.removed.has(userId)) return 'user-removed'
  if (state.members.has(userId)) return 'user-exists'
  if (state.devices.has(device)) return 'device-taken'
  return null
}

function addMember(state: MembershipState, userId: UserId, device: PeerIdString, role: Role, status: Member['status'], profile: Profile): Member {
  const member: Member = { userId, role, status, devices: [device], profile, departments: [] }
  state.members.set(userId, member)
  state.devices.set(device, userId)
  return member
}

function removeMember(state: MembershipState, member: Member): void {
  state.members.delete(member.userId)
  state.removed.add(member.userId)
  for (const d of member.devices) {
    state.devices.delete(d)
    state.removedDevices.add(d)
  }
}
