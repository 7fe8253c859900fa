import type { ChosenPresence, MemberView, PeerIdString, PeerPath, PeerView, Presence, UserId } from '../../src/api/contract'

/** Best first: what a member with several devices shows. */
export const PRESENCE_RANK: Record<Presence, number> = { online: 3, dnd: 2, away: 1, offline: 0 }
/** Best first: a direct route beats one through a relay. */
const PATH_RANK: Record<PeerPath, number> = { direct: 3, upgraded: 2, relayed: 1, offline: 0 }

/** One colleague in the people list: a member of the workspace, however many devices they use. */
export interface Person {
  userId: UserId
  name: string
  avatar: string | null
  /** The best presence among the member's devices (`offline` when none is connected). */
  presence: Presence
  /** The best route to any of the member's devices now; `offline` when none is reachable. */
  path: PeerPath
  /** Latest moment any of the member's devices was connected (ms), or null if never. */
  lastSeen: number | null
  /** The device a direct conversation goes to: the best-connected one, else the first; null if none but this one. */
  device: PeerIdString | null
}

/** Who is looking: their own devices show their chosen presence and are never listed as a colleague. */
export interface Viewer {
  userId: UserId | null
  peerId: PeerIdString | null
  presence: ChosenPresence
}

const collator = new Intl.Collator('zh-CN')

/**
 * The people of a workspace as the sidebar lists them: its active members (not the devices this
 * one happened to meet), one row per user (a user's devices are one person, showing the best
 * presence and route among them), the viewer left out. Reachable people first, then by name.
 */
export function peopleOf(members: readonly MemberView[], devices: ReadonlyMap<string, PeerView>, viewer: Viewer): Person[] {
  const byUser = new Map<UserId, Person>()
  for (const m of members) {
    if (m.status !== 'active' || m.userId === viewer.userId || byUser.has(m.userId)) continue
    byUser.set(m.userId, personOf(m, devices, viewer))
  }
  return [...byUser.values()].sort((a, b) =>
    PRESENCE_RANK[b.presence] - PRESENCE_RANK[a.presence] || collator.compare(a.name, b.name) || a.userId.localeCompare(b.userId))
}

/** One member's standing, from what this device knows of each of their devices. */
export function personOf(member: MemberView, devices: ReadonlyMap<string, PeerView>, viewer: Viewer): Person {
  let presence: Presence = 'offline'
  let path: PeerPath = 'offline'
  let lastSeen: number | null = null
  let best: PeerView | undefined
  for (const id of member.devices) {
    if (id === viewer.peerId) continue
    const d = devices.get(id)
    if (d === undefined) continue
    // A device's presence counts only while it is connected: what it chose earlier says nothing now.
    const p: Presence = d.connected ? d.presence : 'offline'
    if (PRESENCE_RANK[p] > PRESENCE_RANK[presence]) presence = p
    if (d.connected && PATH_RANK[d.path] > PATH_RANK[path]) path = d.path
    if (d.lastSeen !== null && (lastSeen === null || d.lastSeen > lastSeen)) lastSeen = d.lastSeen
    if (d.connected && (best === undefined || PRESENCE_RANK[d.presence] > PRESENCE_RANK[best.presence] || (d.presence === best.presence && PATH_RANK[d.path] > PATH_RANK[best.path]))) best = d
  }
  const others = member.devices.filter((d) => d !== viewer.peerId)
  return {
    userId: member.userId,
    name: member.name,
    avatar: member.avatar,
    presence,
    path,
    lastSeen,
    device: best?.peerId ?? others[0] ?? null
  }
}

/** How many colleagues are reachable now: people, not devices (a user on two laptops is one). */
export function onlineCount(people: readonly Person[]): number {
  return people.filter((p) => p.presence !== 'offline').length
}
