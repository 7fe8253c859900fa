import { isAdminRole, memberOfDevice } from '../identity/membership-state.js'
import { hasWeakKey } from '../identity/signing.js'
import type { PeerIdString, WorkspaceId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { WorkspaceRegistry } from './workspace-registry.js'

/**
 * Who may do what here, read from the membership logs this device keeps. Made before the libp2p
 * node (its connection gater asks `refuses`) and before every service that checks membership,
 * so none of them waits for another to be filled in.
 */
export interface MembershipAccess {
  /** May this peer use Enclave's protocols here? Always, while this device is in no workspace. */
  allows: (peer: string) => boolean
  /**
   * Has this peer proved membership of a workspace of this device (its log, or a certificate)?
   * Unlike `allows`, false while this device is in no workspace: nobody has proved anything then.
   */
  isMember: (peer: string) => boolean
  /** Refused at the door: a removed member's device with no other shared workspace. */
  refuses: (peer: string) => boolean
  /** A certificate proved `device` a member of `ws` before its ops reached this device's log. */
  admit: (ws: string, device: string) => void
  /** Is `device` an active member's device in `ws` (this device included)? */
  isActiveDevice: (ws: string, device: string) => boolean
  /** Every active member's devices in `ws`. */
  activeDevices: (ws: string) => PeerIdString[]
  /** Every active device of the people `devices` belong to in `ws`. */
  devicesOfPeople: (ws: string, devices: readonly string[]) => PeerIdString[]
  /** The active person `device` is an active device of in `ws`, or null. */
  personOf: (ws: string, device: string) => string | null
  /** The active devices of an active person in `ws`. */
  devicesOfPerson: (ws: string, person: string) => PeerIdString[]
  /** Every active person in `ws`. */
  people: (ws: string) => string[]
  /** Is `device` an active admin's or owner's device in `ws`? */
  isAdminDevice: (ws: string, device: string) => boolean
  /** Is `device` an active guest's device in `ws`? */
  isGuestDevice: (ws: string, device: string) => boolean
  /** Is `device` the active owner's device in `ws`? */
  isOwnerDevice: (ws: string, device: string) => boolean
  /** The workspace's name, or null when this device is not in it. */
  workspaceName: (ws: string) => string | null
  /** Workspaces where both this device and `device` are active, in a stable order. */
  sharedWith: (device: string) => WorkspaceId[]
  /** Was `device` removed from any workspace of this device? */
  wasRemoved: (device: string) => boolean
  /** Minutes after sending its author may recall a message in `ws`; null: any time. */
  recallMinutes: (ws: string) => number | null
}

export function createMembershipAccess(registry: WorkspaceRegistry, self: string): MembershipAccess {
  /** Devices a certificate vouched for, per workspace, until their ops arrive. */
  const admitted = new Map<string, Set<string>>()

  const isMember = (peer: string): boolean => registry.list().some((w) => {
    const state = w.log.state()
    if (memberOfDevice(state, peer)?.status === 'active') return true
    // A certificate admits a device the log does not know yet; never one the log removed.
    return admitted.get(w.record.ws)?.has(peer) === true && !state.removedDevices.has(peer)
  })
  const allows = (peer: string): boolean => registry.list().length === 0 || isMember(peer)
  const wasRemoved = (device: string): boolean => registry.list().some((w) => w.log.state().removedDevices.has(device))
  const isActiveDevice = (ws: string, device: string): boolean => {
    const state = registry.get(ws)?.log.state()
    return state !== undefined && memberOfDevice(state, device)?.status === 'active' && !state.removedDevices.has(device)
  }
  const memberIn = (ws: string, device: string): ReturnType<typeof memberOfDevice> => {
    const state = registry.get(ws)?.log.state()
    return state === undefined ? undefined : memberOfDevice(state, device)
  }

  return {
    allows,
    isMember,
    // A device whose key is of small order could be anyone: refused before any protocol runs.
    refuses: (peer) => hasWeakKey(peer) || (!allows(peer) && wasRemoved(peer)),
    admit: (ws, device) => {
      const set = admitted.get(ws) ?? new Set<string>()
      set.add(device)
      admitted.set(ws, set)
    },
    isActiveDevice,
    activeDevices: (ws) => {
      const state = registry.get(ws)?.log.state()
      if (state === undefined) return []
      return [...state.members.values()].filter((m) => m.status === 'active').flatMap((m) => m.devices).filter((d) => !state.removedDevices.has(d))
    },
    devicesOfPeople: (ws, devices) => {
      const state = registry.get(ws)?.log.state()
      if (state === undefined) return []
      const people = new Set(devices.flatMap((d) => { const m = memberOfDevice(state, d); return m?.status === 'active' ? [m.userId] : [] }))
      return [...people].flatMap((userId) => state.members.get(userId)?.devices ?? []).filter((d) => !state.removedDevices.has(d))
    },
    personOf: (ws, device) => (isActiveDevice(ws, device) ? memberIn(ws, device)?.userId ?? null : null),
    devicesOfPerson: (ws, person) => {
      const state = registry.get(ws)?.log.state()
      const member = state?.members.get(person)
      return state === undefined || member?.status !== 'active' ? [] : member.devices.filter((d) => !state.removedDevices.has(d))
    },
    people: (ws) => {
      const state = registry.get(ws)?.log.state()
      return state === undefined ? [] : [...state.members.values()].filter((m) => m.status === 'active').map((m) => m.userId)
    },
    isAdminDevice: (ws, device) => {
      const member = memberIn(ws, device)
      return member?.status === 'active' && isAdminRole(member.role)
    },
    isGuestDevice: (ws, device) => {
      const member = memberIn(ws, device)
      return member?.status === 'active' && member.role === 'guest'
    },
    isOwnerDevice: (ws, device) => {
      const member = memberIn(ws, device)
      return member?.status === 'active' && member.role === 'owner'
    },
    workspaceName: (ws) => registry.get(ws)?.log.state().name ?? null,
    recallMinutes: (ws) => registry.get(ws)?.log.state().messagePolicy.recallMinutes ?? null,
    sharedWith: (device) => registry.list()
      .map((w) => w.record.ws)
      .filter((ws) => isActiveDevice(ws, self) && isActiveDevice(ws, device))
      .sort(),
    wasRemoved
  }
}

/**
 * Who may reserve on this node when it serves as the company's relay: bound to a workspace, its
 * active members only. Otherwise the members of the workspaces this node is in, the devices the
 * operator listed, or anyone if the operator said so; a relay in no workspace with no list serves
 * nobody (it used to serve anyone: an open relay on the internet). Refusals are logged with a code.
 */
/**
 * Who a member's device relays for (workspace policy `memberRelay`): an active member of a
 * workspace this device shares with it, where relaying through members is on and no company
 * relay is listed, and this device is an active member that is not a guest there. A device that
 * knows a company relay itself (`usesRelay`: configured, added or learned) relays for nobody: the
 * company's relay carries such traffic, and a colleague's one reservation slot must be left for it.
 */
export function memberRelayPolicy(access: MembershipAccess, registry: WorkspaceRegistry, self: string, log: Logger, usesRelay: () => boolean): (peer: string) => boolean {
  return (peer) => {
    const ok = !usesRelay() && access.sharedWith(peer).some((ws) => {
      const state = registry.get(ws)?.log.state()
      return state !== undefined && state.memberRelay && state.relays.length === 0 && !access.isGuestDevice(ws, self) && access.isActiveDevice(ws, peer)
    })
    if (!ok) log.debug('refused a member relay reservation', { peer, code: 'not-member' })
    return ok
  }
}

export function reservationPolicy(access: MembershipAccess, registry: WorkspaceRegistry, relay: { workspace?: string; allow?: string[] | 'anyone' }, log: Logger): (peer: string) => boolean {
  const listed = new Set(Array.isArray(relay.allow) ? relay.allow : [])
  return (peer) => {
    const ok = relay.workspace !== undefined
      ? access.isActiveDevice(relay.workspace, peer)
      : relay.allow === 'anyone' ? !access.refuses(peer)
        : listed.has(peer) || (registry.list().length > 0 && access.allows(peer))
    if (!ok) log.info('refused a relay reservation', { peer, code: 'not-member' })
    return ok
  }
}
