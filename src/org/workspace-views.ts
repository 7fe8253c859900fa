import { workspaceChannelId } from '../identity/workspace-channel.js'
import { rootFingerprint, rootPublicKeyFromRaw } from '../identity/workspace-key.js'
import { certificateSummary } from './certificate-renewal.js'
import type { DepartmentView, MemberView, PeerIdString, Presence, WorkspaceView } from '../api/contract.js'
import type { Member } from '../identity/membership-state.js'
import type { Profile } from '../identity/membership-op.js'
import type { Workspace } from './workspace-registry.js'

/** The API's views of workspace state: plain copies, never live references into the log. */
export function workspaceView(w: Workspace): WorkspaceView {
  const state = w.log.state()
  const me = state.members.get(w.record.userId)
  return {
    id: w.record.ws,
    name: state.name,
    fingerprint: state.rootKey.byteLength === 32 ? rootFingerprint(rootPublicKeyFromRaw(state.rootKey)) : '',
    userId: w.record.userId,
    role: me?.role ?? 'guest',
    status: state.removed.has(w.record.userId) ? 'removed' : me?.status ?? 'pending',
    memberCount: [...state.members.values()].filter((m) => m.status === 'active').length,
    certificate: certificateSummary(w) as WorkspaceView['certificate'],
    relays: [...state.relays],
    memberRelay: state.memberRelay,
    filePolicy: { maxBytes: state.filePolicy.maxBytes, blocked: [...state.filePolicy.blocked], guests: state.filePolicy.guests },
    messagePolicy: { recallMinutes: state.messagePolicy.recallMinutes },
    backupPolicy: state.backupPolicy,
    channelId: workspaceChannelId(w.record.ws)
  }
}

const PRESENCE_RANK: Record<Presence, number> = { online: 3, away: 2, dnd: 1, offline: 0 }

/** The most available of a member's devices: online beats away beats do-not-disturb. */
function bestPresence(devices: readonly PeerIdString[], presenceOf: (device: PeerIdString) => Presence): Presence {
  let best: Presence = 'offline'
  for (const d of devices) {
    const p = presenceOf(d)
    if (PRESENCE_RANK[p] > PRESENCE_RANK[best]) best = p
  }
  return best
}

/**
 * How a view shows a member: live presence, the picture as a data: URL (null until fetched), and
 * phone and email as this device knows them (inline in old ops, or fetched by the commitment;
 * never for a guest).
 */
export interface MemberLookups {
  presenceOf: (device: PeerIdString) => Presence
  avatarOf: (avatar: Profile['avatar']) => string | null
  contactOf: (profile: Profile) => { phone?: string; email?: string }
}

export function memberView(m: Member, { presenceOf, avatarOf, contactOf }: MemberLookups): MemberView {
  const presence = bestPresence(m.devices, presenceOf)
  const contact = contactOf(m.profile)
  return {
    userId: m.userId,
    role: m.role,
    status: m.status,
    name: m.profile.name,
    title: m.profile.title ?? null,
    email: contact.email ?? null,
    phone: contact.phone ?? null,
    avatar: avatarOf(m.profile.avatar),
    departments: [...m.departments],
    devices: [...m.devices],
    online: presence !== 'offline',
    presence
  }
}

export function memberViews(w: Workspace, lookups: MemberLookups): MemberView[] {
  const collator = new Intl.Collator('zh-CN')
  return [...w.log.state().members.values()].map((m) => memberView(m, lookups)).sort((a, b) => collator.compare(a.name, b.name) || a.userId.localeCompare(b.userId))
}

export function departmentViews(w: Workspace): DepartmentView[] {
  return [...w.log.state().departments.values()].map((d) => ({ id: d.id, parentId: d.parentId, name: d.name, order: d.order }))
}
