/** What the chat layer needs to know about workspaces (the org layer answers). */
export interface MembershipPolicy {
  isActiveDevice(ws: string, device: string): boolean
  isAdminDevice(ws: string, device: string): boolean
  /** Workspaces both this device and `device` are active in. */
  sharedWith(device: string): string[]
}
