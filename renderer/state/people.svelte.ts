import { onlineCount, peopleOf } from './people-list'
import { peers } from './peers.svelte'
import { workspaces } from './workspaces.svelte'

/**
 * The people the sidebar lists. In a workspace: its members, one row per person, with the best
 * presence and route among their devices (`peopleOf`). A device in no workspace keeps the devices
 * it met (LAN, by address), which is all it has.
 */
class PeopleState {
  /** True when the list is the selected workspace's members (false: loose devices). */
  inWorkspace = $derived(workspaces.selected !== null)
  members = $derived(peopleOf(workspaces.members, peers.byId, workspaces.viewer))
  /** Colleagues reachable now: people in a workspace, devices outside one. */
  onlineCount = $derived(this.inWorkspace ? onlineCount(this.members) : peers.onlineCount)
  /** This person's other devices connected now (the desktop, seen from a linked laptop). */
  ownDevicesOnline = $derived(workspaces.members.find((m) => m.userId === workspaces.viewer.userId)?.devices
    .filter((d) => d !== workspaces.viewer.peerId && peers.byId.get(d)?.connected === true).length ?? 0)
}

export const people = new PeopleState()
