import { peers } from './peers.svelte'
import { session } from './session.svelte'
import { workspaces } from './workspaces.svelte'
import type { ConversationView, MemberView, PeerIdString, Presence, UserId } from '../../src/api/contract'

/** One person in a channel: a directory member with their devices there, or a device nobody here knows. */
export interface ChannelPerson {
  /** The member's user id, or the device for someone not in the directory. */
  key: string
  name: string
  member: MemberView | null
  /** Their devices in the channel, members and pending alike. */
  devices: readonly PeerIdString[]
  /** Asked to be added, none of their devices in the group yet. */
  pending: boolean
  me: boolean
}

const collator = new Intl.Collator('zh-CN')

function isOwnDevice(device: PeerIdString): boolean {
  return device === session.info?.peerId
}

/**
 * A device's person: the workspace directory's name, else the name the device told us, else a
 * neutral "Unknown device" (peers.name). Never a piece of the device id.
 */
export function personName(device: PeerIdString): string {
  if (isOwnDevice(device)) return session.profile?.displayName ?? peers.name(device)
  return workspaces.membersByDevice.get(device)?.name ?? peers.name(device)
}

/** The people in a channel, the group's members first, then by name (this device's user among them). */
export function channelPeople(c: ConversationView): ChannelPerson[] {
  const byKey = new Map<string, { member: MemberView | null; devices: PeerIdString[]; inGroup: boolean; me: boolean }>()
  const place = (device: PeerIdString, inGroup: boolean): void => {
    const member = workspaces.membersByDevice.get(device) ?? null
    const key = member?.userId ?? device
    const entry = byKey.get(key) ?? { member, devices: [], inGroup: false, me: false }
    if (!entry.devices.includes(device)) entry.devices.push(device)
    entry.inGroup ||= inGroup
    entry.me ||= isOwnDevice(device) || (member !== null && workspaces.isMe(member))
    byKey.set(key, entry)
  }
  for (const d of c.members) place(d, true)
  for (const d of c.pendingMembers) place(d, false)
  const people = [...byKey].map(([key, e]): ChannelPerson => ({
    key,
    name: e.member?.name ?? (e.devices[0] === undefined ? key : personName(e.devices[0])),
    member: e.member,
    devices: e.devices,
    pending: !e.inGroup,
    me: e.me
  }))
  return people.sort((a, b) => Number(a.pending) - Number(b.pending) || collator.compare(a.name, b.name) || a.key.localeCompare(b.key))
}

/** The best presence among a person's devices (one's own choice for this device). */
export function personPresence(person: ChannelPerson): Presence {
  if (person.member !== null) return workspaces.presenceOf(person.member)
  if (person.me) return session.profile?.presence ?? 'online'
  const device = person.devices.find((d) => peers.byId.get(d)?.connected === true) ?? person.devices[0]
  return device === undefined ? 'offline' : peers.byId.get(device)?.presence ?? 'offline'
}

/** Every device of the chosen members: adding a person adds all of their computers. */
export function devicesOf(userIds: Iterable<UserId>): PeerIdString[] {
  return [...userIds].flatMap((id) => workspaces.membersById.get(id)?.devices ?? [])
}
