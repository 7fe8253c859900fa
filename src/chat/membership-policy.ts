import type { PeerIdString, WorkspaceId } from '../api/contract.js'

/** What the chat layer needs to know about workspaces (the org layer answers). */
export interface MembershipPolicy {
  isActiveDevice(ws: string, device: string): boolean
  isAdminDevice(ws: string, device: string): boolean
  /** Guests see only the channels they were added to: not the workspace's own, not open ones. */
  isGuestDevice(ws: string, device: string): boolean
  /** The workspace's owner makes its own channel; nobody else (see `ensureWorkspaceChannel`). */
  isOwnerDevice(ws: string, device: string): boolean
  workspaceName(ws: string): string | null
  /** Every active member's devices in `ws` (this one included). */
  activeDevices(ws: string): PeerIdString[]
  /** Every active device of the people `devices` belong to in `ws` (a person's linked devices). */
  devicesOfPeople(ws: string, devices: readonly string[]): PeerIdString[]
  /** The person (user id) an active device belongs to in `ws`, or null. */
  personOf(ws: string, device: string): string | null
  /** The active devices of an active person in `ws` (none for anyone else). */
  devicesOfPerson(ws: string, person: string): PeerIdString[]
  /** Every active person in `ws`. */
  people(ws: string): string[]
  /** Workspaces both this device and `device` are active in. */
  sharedWith(device: string): WorkspaceId[]
  /** Minutes after sending its author may recall a message in `ws` (its `messagePolicy`); null: any time. */
  recallMinutes(ws: string): number | null
}
