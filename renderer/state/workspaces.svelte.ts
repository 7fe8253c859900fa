import { childrenByParent, subtreeIds } from './department-tree'
import { peers } from './peers.svelte'
import { PRESENCE_RANK, personOf, type Viewer } from './people-list'
import { session } from './session.svelte'
import type { ChosenPresence, CsvInviteResult, DepartmentId, DepartmentView, FilePolicyView, MessagePolicyView, InviteId, InviteSummary, InviteView, MemberView, PeerIdString, Presence, Role, UserId, WorkspaceId, WorkspaceView } from '../../src/api/contract'

const KEY = 'enclave.workspace'

export interface InviteOptions { role: Role; expiresInMs: number; approval: boolean; uses: number; departments: DepartmentId[]; label: string }
/** `avatar`: a data: URL to set, null to remove, absent to keep. */
export interface OwnProfile { title: string; phone: string; email: string; avatar?: string | null }

/**
 * The company workspaces this device is in, and the one the user is looking at: its members,
 * departments and (for admins) invites, reloaded whenever the core says the workspace changed.
 */
class WorkspacesState {
  list = $state.raw<readonly WorkspaceView[]>([])
  /** False until the first list arrived, so the no-workspace card does not flash on start. */
  loaded = $state(false)
  private chosenId = $state<string | null>(localStorage.getItem(KEY))
  /** The chosen workspace, else the first; null when in none. */
  selected = $derived(this.list.find((w) => w.id === this.chosenId) ?? this.list[0] ?? null)
  isAdmin = $derived(this.selected?.status === 'active' && (this.selected.role === 'owner' || this.selected.role === 'admin'))

  /** Everyone in the selected workspace, pending ones included, sorted by name (the core's order). */
  members = $state.raw<readonly MemberView[]>([])
  departments = $state.raw<readonly DepartmentView[]>([])
  invites = $state.raw<readonly InviteSummary[]>([])
  membersById = $derived(new Map(this.members.map((m) => [m.userId, m])))
  /** Members by each of their devices: channels list devices, people see names. */
  membersByDevice = $derived(new Map<string, MemberView>(this.members.flatMap((m) => m.devices.map((d) => [d, m] as const))))
  me = $derived(this.selected === null ? null : this.membersById.get(this.selected.userId) ?? null)
  /** Who is looking at the selected workspace: the user, this device and its chosen presence. */
  viewer = $derived<Viewer>({ userId: this.selected?.userId ?? null, peerId: session.info?.peerId ?? null, presence: ownPresence() })
  tree = $derived(childrenByParent(this.departments))
  departmentNames = $derived(new Map(this.departments.map((d) => [d.id, d.name])))

  private reloading: Promise<void> | null = null
  private wanted = 0

  constructor() {
    session.onConnected((api) => {
      api.on('workspaces.changed', (w) => {
        this.upsert(w)
        if (w.id === this.selected?.id) void this.reload()
      })
      void api.call('workspaces.list', {}).then((list) => {
        this.list = list
        this.loaded = true
        void this.reload()
      })
    })
  }

  select(id: WorkspaceId): void {
    const switching = id !== this.selected?.id
    this.chosenId = id
    localStorage.setItem(KEY, id)
    if (!switching) return
    // Nothing of the previous workspace may show while the new one loads.
    this.members = []
    this.departments = []
    this.invites = []
    void this.reload()
  }

  /** Fetches members, departments and invites of the selected workspace; overlapping calls coalesce. */
  reload(): Promise<void> {
    this.wanted++
    this.reloading ??= (async () => {
      // Requests that came in during a fetch are served by one more fetch, not one each.
      let served: number
      do {
        served = this.wanted
        await this.fetchSelected()
      } while (served !== this.wanted)
    })().finally(() => { this.reloading = null })
    return this.reloading
  }

  private async fetchSelected(): Promise<void> {
    const w = this.selected
    if (w === null) return
    try {
      // Inside the try: while the node is away there is no client, and that is not an error here.
      const api = session.api
      const [members, departments, invites] = await Promise.all([
        api.call('workspaces.members', { workspaceId: w.id }),
        api.call('workspaces.departments', { workspaceId: w.id }),
        // Someone just demoted is refused here; that only means there is no list to show.
        this.isAdmin ? api.call('workspaces.invites', { workspaceId: w.id }).catch(() => []) : Promise.resolve([])
      ])
      if (this.selected?.id !== w.id) return
      this.members = members
      this.departments = departments
      this.invites = invites
    } catch {
      // The node went away, or refused (this device was removed): keep what is shown; the next
      // change or connection loads again.
    }
  }

  /**
   * Makes a workspace owned by this device. Devices outside it can no longer reach this one, so
   * each device in `invite` (colleagues it talks to now) gets a single-use invite link in the
   * direct conversation with it, and stays connected until it joins.
   */
  async create(name: string, invite: readonly PeerIdString[] = []): Promise<WorkspaceView> {
    const w = await session.api.call('workspaces.create', { name: name.trim(), ...(invite.length > 0 ? { invite: [...invite] } : {}) })
    this.upsert(w)
    this.select(w.id)
    return w
  }

  /** Joins by the link or by pasted text that contains it; resolves once admitted (or pending). */
  async join(text: string): Promise<WorkspaceView> {
    const w = await session.api.call('workspaces.join', { link: text.trim() })
    this.upsert(w)
    this.select(w.id)
    return w
  }

  async invite(options: InviteOptions): Promise<InviteView> {
    const workspaceId = this.requireSelected()
    const invite = await session.api.call('workspaces.invite', { workspaceId, ...options })
    this.applyInvites(workspaceId, await session.api.call('workspaces.invites', { workspaceId }))
    return invite
  }

  /** Personal invites for the rows of a CSV; nothing is made when a row is bad (the result lists each). */
  async inviteCsv(csv: string, expiresInMs: number): Promise<CsvInviteResult> {
    const workspaceId = this.requireSelected()
    const result = await session.api.call('workspaces.inviteCsv', { workspaceId, csv, expiresInMs })
    if (result.ok) this.applyInvites(workspaceId, await session.api.call('workspaces.invites', { workspaceId }))
    return result
  }

  async revokeInvite(inviteId: InviteId): Promise<void> {
    const workspaceId = this.requireSelected()
    this.applyInvites(workspaceId, await session.api.call('workspaces.revokeInvite', { workspaceId, inviteId }))
  }

  async removeMember(userId: UserId): Promise<void> {
    const workspaceId = this.requireSelected()
    this.applyMembers(workspaceId, await session.api.call('workspaces.removeMember', { workspaceId, userId }))
  }

  /** This device's person leaves a workspace; it stays listed, read-only. */
  async leave(workspaceId: WorkspaceId): Promise<void> {
    this.upsert(await session.api.call('workspaces.leave', { workspaceId }))
  }

  async setRole(userId: UserId, role: Role): Promise<void> {
    const workspaceId = this.requireSelected()
    this.applyMembers(workspaceId, await session.api.call('workspaces.setRole', { workspaceId, userId, role }))
  }

  async approve(userId: UserId): Promise<void> {
    const workspaceId = this.requireSelected()
    this.applyMembers(workspaceId, await session.api.call('workspaces.approve', { workspaceId, userId }))
  }

  /** Creates a department (no `departmentId`) or renames one in place. */
  async saveDepartment(input: { departmentId?: DepartmentId; parentId: DepartmentId | null; name: string }): Promise<DepartmentView[]> {
    const workspaceId = this.requireSelected()
    const departments = await session.api.call('workspaces.saveDepartment', { workspaceId, ...input, name: input.name.trim() })
    if (this.selected?.id === workspaceId) this.departments = departments
    return departments
  }

  async deleteDepartment(departmentId: DepartmentId): Promise<void> {
    const workspaceId = this.requireSelected()
    const departments = await session.api.call('workspaces.deleteDepartment', { workspaceId, departmentId })
    if (this.selected?.id === workspaceId) this.departments = departments
  }

  async assign(userId: UserId, departments: readonly DepartmentId[]): Promise<void> {
    const workspaceId = this.requireSelected()
    this.applyMembers(workspaceId, await session.api.call('workspaces.assign', { workspaceId, userId, departments: [...departments] }))
  }

  /** One's own directory entry; the name is kept, the picture unless `avatar` says otherwise. */
  async updateProfile(profile: OwnProfile): Promise<void> {
    const workspaceId = this.requireSelected()
    const me = this.me
    const name = me?.name ?? session.profile?.displayName ?? ''
    const avatar = profile.avatar === undefined ? me?.avatar ?? null : profile.avatar
    const members = await session.api.call('workspaces.updateProfile', {
      workspaceId,
      profile: { name, title: profile.title, phone: profile.phone, email: profile.email, ...(avatar === null ? {} : { avatar }) }
    })
    this.applyMembers(workspaceId, members)
  }

  /** Colleagues matching a query (name, pinyin, initials, …), best first, within a department subtree. */
  search(workspaceId: WorkspaceId, query: string, departmentId: DepartmentId | null, limit: number): Promise<MemberView[]> {
    return session.api.call('directory.search', { workspaceId, query, limit, ...(departmentId === null ? {} : { departmentId }) })
  }

  /** Active members of a department and everything below it (null: everyone), by name. */
  membersIn(departmentId: DepartmentId | null): MemberView[] {
    const active = this.members.filter((m) => m.status === 'active')
    if (departmentId === null) return active
    const ids = subtreeIds(this.tree, departmentId)
    return active.filter((m) => m.departments.some((d) => ids.has(d)))
  }

  /**
   * Live presence: the core reports it when asked, and no event says a member's device came or
   * went, so the devices' presence from `peers.changed` (and one's own choice) takes over.
   */
  presenceOf(member: MemberView): Presence {
    const others = personOf(member, peers.byId, this.viewer).presence
    const mine = session.info !== null && member.devices.includes(session.info.peerId) ? ownPresence() : 'offline'
    return PRESENCE_RANK[mine] > PRESENCE_RANK[others] ? mine : others
  }

  /** The device to open a direct conversation with: the best-connected one, else the first. */
  deviceOf(member: MemberView): PeerIdString | null {
    return personOf(member, peers.byId, this.viewer).device
  }


  isMe(member: MemberView): boolean {
    return member.userId === this.selected?.userId
  }

  private requireSelected(): WorkspaceId {
    const id = this.selected?.id
    if (id === undefined) throw new Error('no workspace selected')
    return id
  }

  /** Replaces the company relays the selected workspace lists (admins); members follow them. */
  async setRelays(relays: string[]): Promise<void> {
    const ws = this.selected
    if (ws === null) return
    this.upsert(await session.api.call('workspaces.setRelays', { workspaceId: ws.id, relays }))
  }

  /** Turns relaying through members' devices on or off for the selected workspace (admins). */
  async setMemberRelay(enabled: boolean): Promise<void> {
    const ws = this.selected
    if (ws === null) return
    this.upsert(await session.api.call('workspaces.setMemberRelay', { workspaceId: ws.id, enabled }))
  }

  async setMessagePolicy(policy: MessagePolicyView): Promise<void> {
    const ws = this.selected
    if (ws === null) return
    this.upsert(await session.api.call('workspaces.setMessagePolicy', { workspaceId: ws.id, ...policy }))
  }

  /** Whether members of the selected workspace may, must or must not back up their devices (admins). */
  async setBackupPolicy(backups: WorkspaceView['backupPolicy']): Promise<void> {
    const ws = this.selected
    if (ws === null) return
    this.upsert(await session.api.call('workspaces.setBackupPolicy', { workspaceId: ws.id, backups }))
  }

  async setFilePolicy(policy: FilePolicyView): Promise<void> {
    const ws = this.selected
    if (ws === null) return
    this.upsert(await session.api.call('workspaces.setFilePolicy', { workspaceId: ws.id, ...policy }))
  }

  private upsert(w: WorkspaceView): void {
    const at = this.list.findIndex((x) => x.id === w.id)
    this.list = at < 0 ? [...this.list, w] : this.list.map((x, i) => (i === at ? w : x))
  }

  private applyMembers(workspaceId: WorkspaceId, members: MemberView[]): void {
    if (this.selected?.id === workspaceId) this.members = members
  }

  private applyInvites(workspaceId: WorkspaceId, invites: InviteSummary[]): void {
    if (this.selected?.id === workspaceId) this.invites = invites
  }
}

function ownPresence(): ChosenPresence {
  return session.profile?.presence ?? 'online'
}

export const workspaces = new WorkspacesState()
