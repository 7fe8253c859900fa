import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { EnclaveError } from '../errors.js'
import { parseUserId, peerIdOf } from '../ids.js'
import { MAX_INVITED_AT_CREATE, MAX_WORKSPACE_NAME, textLength } from '../limits.js'
import { CERTIFICATE_LIFETIME_MS, issueCertificate } from '../identity/certificate.js'
import { sealValue } from '../identity/sealed-fields.js'
import { decodeInviteLink } from '../identity/invite-link.js'
import { isAdminRole, memberOfDevice, type BackupPolicy, type Member } from '../identity/membership-state.js'
import { MAX_PARENTS, signOp, type OpBodyInput, type Profile, type Role, type VerifiedOp } from '../identity/membership-op.js'
import { createRootKey, rootFingerprint, rootPublicKeyFromRaw, workspaceIdOf, type WorkspaceId } from '../identity/workspace-key.js'
import { JOIN_PROTOCOL, serveJoin } from './join-protocol.js'
import { createInviteMaker, type InviteSpec } from './invite-maker.js'
import { parseInviteCsv } from './invite-csv.js'
import type { Collection } from '../store/store.js'
import { joinByInvite } from './join-client.js'
import { MEMBERSHIP_PROTOCOL, serveSync } from './membership-sync.js'
import { createPeerSync } from './peer-sync.js'
import { createPeerReadiness } from './peer-readiness.js'
import { createUnprovenGrace, type UnprovenGraceInit } from './unproven-grace.js'
import type { Workspace, WorkspaceRegistry } from './workspace-registry.js'
import type { MembershipAccess } from './membership-access.js'
import type { Avatars } from './avatars.js'
import type { SealedValues } from './sealed-values.js'
import type { CoreBus } from '../core-events.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import { CERTIFICATE_PROTOCOL, renewCertificates, serveCertificate } from './certificate-renewal.js'
import { packMissing } from './sync-cursor.js'
import type { LinkWorkspaces } from './device-link.js'
import { createDirectory, type DirectoryQuery } from './directory.js'
import { departmentViews, memberView, memberViews, workspaceView } from './workspace-views.js'
import type { CsvInviteResult, DepartmentId, DepartmentView, Emit, FilePolicyView, UserId, InvitePreview, InviteSummary, InviteView, MemberProfileInput, MemberView, PeerIdString, Presence, WorkspaceView } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export interface WorkspaceServiceComponents {
  node: NetNode
  log: Logger
  emit: Emit
  bus: CoreBus
  deviceKey: PrivateKey
  registry: WorkspaceRegistry
  access: MembershipAccess
  protocols: ProtocolHost
  /** Members' pictures, kept apart from the log. */
  avatars: Avatars
  /** Phones, emails and invite secret hashes, which the log names only by commitment. */
  sealed: SealedValues
  /** Who each invite made here is for (the store's `inviteLabels`). */
  inviteLabels: Collection<{ label: string }>
  /** The name this device goes by, for its member profile. */
  displayName(): string | null
  /** Presence of any device (this one included). */
  presenceOf(device: PeerIdString): Presence
  /**
   * Relays this device uses: kept connected although they are not members (they carry members'
   * encrypted traffic and use no Enclave protocol, which the gate still refuses them).
   */
  isRelay(peer: string): boolean
}

export type WorkspaceServiceInit = UnprovenGraceInit

export interface WorkspaceService {
  list(): WorkspaceView[]
  /**
   * Makes this device the owner of a new workspace. `keep`: devices it talks to now and is about
   * to invite; they stay connected (still refused every Enclave protocol) until they join or
   * INVITED_KEEP_MS pass, so an invite sent to them arrives instead of the door closing first.
   */
  create(name: string, opts?: { keep?: readonly PeerIdString[] }): Promise<WorkspaceView>
  invite(ws: string, opts: { role?: Role; expiresInMs?: number; approval?: boolean; uses?: number; departments?: DepartmentId[]; label?: string }): Promise<InviteView>
  /** Personal invites for the rows of a CSV; none when any row is bad (each is reported). */
  inviteCsv(ws: string, csv: string, opts: { expiresInMs?: number }): Promise<CsvInviteResult>
  join(link: string): Promise<WorkspaceView>
  readInvite(link: string): InvitePreview
  members(ws: string): MemberView[]
  removeMember(ws: string, userId: string): Promise<MemberView[]>
  /** This device's user leaves (the owner hands the workspace over first); the workspace stays, read-only. */
  leave(ws: string): Promise<WorkspaceView>
  setRole(ws: string, userId: string, role: Role): Promise<MemberView[]>
  approve(ws: string, userId: string): Promise<MemberView[]>
  invites(ws: string): InviteSummary[]
  revokeInvite(ws: string, inviteId: string): Promise<InviteSummary[]>
  updateProfile(ws: string, profile: MemberProfileInput, userId?: string): Promise<MemberView[]>
  departments(ws: string): DepartmentView[]
  saveDepartment(ws: string, dept: { departmentId?: string; parentId: string | null; name: string; order?: number }): Promise<DepartmentView[]>
  deleteDepartment(ws: string, departmentId: string): Promise<DepartmentView[]>
  assign(ws: string, userId: string, departments: string[]): Promise<MemberView[]>
  /** Replaces the relays a workspace lists (admins); members learn them with the log. */
  setRelays(ws: string, relays: string[]): Promise<WorkspaceView>
  /** Turns relaying through members' devices on or off (admins). */
  setMemberRelay(ws: string, enabled: boolean): Promise<WorkspaceView>
  /** Sets the workspace's file rules (admins). */
  setFilePolicy(ws: string, policy: FilePolicyView): Promise<WorkspaceView>
  /** Admins: how long after sending its author may recall a message (null: any time). */
  setMessagePolicy(ws: string, recallMinutes: number | null): Promise<WorkspaceView>
  /** Admins: may, must or must not members back up their devices. */
  setBackupPolicy(ws: string, backups: BackupPolicy): Promise<WorkspaceView>
  /** The strictest backup rule of this device's workspaces: forbidden, else required, else optional. */
  backupPolicy(): BackupPolicy
  /** Relays every workspace of this device lists, to dial and keep a reservation on. */
  relays(): string[]
  search(ws: string, query: DirectoryQuery): MemberView[]
  /**
   * Removes a lost device: one of this device's person's, in every workspace where it is theirs;
   * or, given a workspace, any member's there as the log's rules allow (admins). Returns the
   * workspaces whose log changed.
   */
  removeDevice(device: PeerIdString, ws?: WorkspaceId): Promise<WorkspaceId[]>
  /** What linking a device to this device's account may do here (device-link.ts). */
  linking: LinkWorkspaces
  /** Announces every workspace's membership to the services, and starts certificate renewal. */
  start(): void
  stop(): void
}

const DEFAULT_INVITE_MS = 48 * 60 * 60 * 1000
/** How long a device invited at creation stays connected without being a member. */
export const INVITED_KEEP_MS = 15 * 60 * 1000

/** A new member's user id: random, so devices that join at once never collide. */
const newUserId = (): UserId => parseUserId(randomBytes(12).toString('hex'))

/**
 * An invite's addresses: direct ones first (the LAN), and always room for up to four through
 * the company's relays. Not through a colleague's device (member relaying): that colleague
 * relays for members only, and the device that joins would take it for a company relay.
 */
function inviteAddresses(all: string[], isCompanyRelay: (peer: string) => boolean): string[] {
  const relayOf = (a: string): string => /\/p2p\/([^/]+)\/p2p-circuit/.exec(a)?.[1] ?? ''
  const relayed = all.filter((a) => a.includes('/p2p-circuit') && isCompanyRelay(relayOf(a))).slice(0, 4)
  const direct = all.filter((a) => !a.includes('/p2p-circuit')).slice(0, 16 - relayed.length)
  return [...direct, ...relayed]
}
/** Longest a removed device stays connected while it is told of its removal. */
const FAREWELL_MS = 3000
/** How often certificates are checked for renewal (they last 7 days and renew 2 days early). */
const RENEW_INTERVAL_MS = 30 * 60 * 1000

export async function createWorkspaceService(components: WorkspaceServiceComponents, init: WorkspaceServiceInit = {}): Promise<WorkspaceService> {
  const { node, log, emit, deviceKey } = components
  const self = peerIdOf(node.peerId)
  const { registry, access, bus, protocols } = components
  const { allows } = access
  /** Phone and email: inline in ops from before sealed fields, else as fetched (never for a guest). */
  const contactOf = (profile: Profile): { phone?: string; email?: string } => {
    const sealed = components.sealed.contactOf(profile.contact)
    const phone = profile.phone ?? sealed?.phone
    const email = profile.email ?? sealed?.email
    return { ...(phone === undefined ? {} : { phone }), ...(email === undefined ? {} : { email }) }
  }
  const directory = createDirectory({ contactOf, contactsVersion: () => components.sealed.version() })
  const readiness = createPeerReadiness({ node, bus, allows, inWorkspace: () => registry.list().length > 0 })
  /** Devices invited at creation, until when they stay connected (ms). */
  const invited = new Map<string, number>()
  const isInvited = (peer: string): boolean => (invited.get(peer) ?? 0) > Date.now()
  const grace = createUnprovenGrace({
    node,
    log,
    allows,
    keeps: (peer) => components.isRelay(peer) || (isInvited(peer) && !access.wasRemoved(peer)),
    // A device removed within its grace (it joined a moment ago) is told first, as `enforce` does.
    onExpired: (peerId) => {
      if (access.wasRemoved(peerId.toString())) { enforce(); return }
      log.info('closing connection of a peer that did not prove membership', { peer: peerId.toString(), code: 'not-member' })
      void node.hangUp(peerId).catch(() => undefined)
    }
  }, init)
  const farewells = new Set<string>()
  let stopped = false

  const lookups = { presenceOf: (device: PeerIdString): Presence => components.presenceOf(device), avatarOf: (avatar: Profile['avatar']) => components.avatars.urlOf(avatar), contactOf }
  const view = workspaceView
  const members = (w: Workspace): MemberView[] => memberViews(w, lookups)

  const workspace = (ws: string): Workspace => {
    const w = registry.get(ws)
    if (w === undefined) throw new EnclaveError('not-found', `not in workspace ${ws.slice(0, 40)}`)
    return w
  }

  /** This device must be an active admin (or owner) of the workspace. */
  const requireAdmin = (w: Workspace): Member => {
    const me = memberOfDevice(w.log.state(), self)
    if (me === undefined || me.status !== 'active') throw new EnclaveError('not-member', 'this device is not an active member of the workspace')
    if (!isAdminRole(me.role)) throw new EnclaveError('unauthorized', 'only admins can do that')
    return me
  }

  /** Closes connections of peers that may no longer be here (removed, or never proved membership). */
  const enforce = (): void => {
    for (const peerId of node.getPeers()) {
      const peer = peerId.toString()
      if (allows(peer) || farewells.has(peer) || components.isRelay(peer)) continue
      const removed = access.wasRemoved(peer)
      // A removed device has nothing left to prove, even if it joined moments ago.
      if (!removed && (grace.has(peer) || isInvited(peer))) continue
      const hangUp = (): void => {
        log.info('closing connection of a peer that is not a member', { peer, code: 'not-member' })
        void node.hangUp(peerId).catch(() => undefined)
      }
      if (!removed) { hangUp(); continue }
      // A removed device first gets the log that removes it, so its owner's app can say so;
      // then, at most a few seconds later, the door closes. Also when it was removed within
      // the grace of a fresh connection (it joined a moment ago): the grace ends here.
      grace.end(peer)
      farewells.add(peer)
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, FAREWELL_MS).unref())
      void Promise.race([syncPeer(peerId), deadline]).finally(() => { farewells.delete(peer); hangUp() })
    }
  }

  const changed = (ws: string): void => {
    const w = registry.get(ws)
    if (w === undefined) return
    emit('workspaces.changed', view(w))
    bus.emit('membership:changed', { ws: w.record.ws })
    const relays = w.log.state().relays
    if (relays.length > 0) bus.emit('relays:learned', relays)
    enforce()
    // A role change or an approval may call for a new certificate.
    renew()
  }

  /** Tells every connected member about new ops. */
  const spread = (): void => {
    for (const peer of node.getPeers()) if (allows(peer.toString())) void syncPeer(peer)
  }

  const syncComponents = {
    registry,
    log: log.child('sync'),
    onChanged: (ws: string) => { changed(ws); spread() },
    onAdmitted: (ws: string, device: string) => {
      access.admit(ws, device)
      // It proved itself on its stream, read with a stranger's limits: now sync as with a member.
      void syncPeer(peerIdFromString(device))
    }
  }
  const peerSync = createPeerSync({
    node,
    registry,
    log,
    sync: syncComponents,
    // Chat to a member who joined through another admin waits for this sync; go now. A failed
    // sync settles too: what this device's log says of the peer is all it will know for now.
    onSettled: (peer) => { readiness.settled(peer) }
  })
  const syncPeer = peerSync.sync

  const appendOwn = async (w: Workspace, body: OpBodyInput): Promise<VerifiedOp> => {
    const op = await signOp(deviceKey, { v: 1, ws: w.record.ws, parents: w.log.recentHeads(MAX_PARENTS), author: self, ts: Date.now(), body })
    await registry.append(w.record.ws, [op])
    const rejection = w.log.rejections().get(op.id)
    if (rejection !== undefined) throw new EnclaveError('unauthorized', `the workspace refused that (${rejection})`)
    changed(w.record.ws)
    spread()
    return op
  }

  /** Appends an op of this device to a workspace (as an admin unless `adminOnly` is false). */
  const act = async (ws: string, body: OpBodyInput, adminOnly = true): Promise<Workspace> => {
    const w = workspace(ws)
    if (adminOnly) requireAdmin(w)
    await appendOwn(w, body)
    return w
  }

  const myName = (): string => components.displayName() ?? `Device …${self.slice(-6)}`

  const renewal = {
    registry,
    deviceKey,
    self,
    log: log.child('certificates'),
    open: (device: string) => node.dialProtocol(peerIdFromString(device), CERTIFICATE_PROTOCOL, { signal: AbortSignal.timeout(10_000), runOnLimitedConnection: true }),
    isConnected: (device: string) => node.getConnections(peerIdFromString(device)).length > 0
  }
  let renewing = false
  /** Runs renewal at most once at a time; announces workspaces whose certificate changed. */
  const renew = (): void => {
    if (renewing || stopped) return
    renewing = true
    void renewCertificates(renewal).then((changedWs) => { for (const ws of changedWs) changed(ws) }).finally(() => { renewing = false })
  }
  let renewTimer: NodeJS.Timeout | undefined
  await protocols.handleAnyone(CERTIFICATE_PROTOCOL, (stream, connection) => serveCertificate(stream, connection, renewal))

  await protocols.handleAnyone(MEMBERSHIP_PROTOCOL, (stream, connection) => serveSync(stream, connection, syncComponents))
  await protocols.handleAnyone(JOIN_PROTOCOL, (stream, connection) => {
    grace.extend(connection.remotePeer)
    return serveJoin(stream, connection, {
      registry,
      deviceKey,
      self,
      log: log.child('join'),
      secretHashOf: (invite) => components.sealed.secretHashOf(invite),
      onChanged: (ws) => { changed(ws); spread() }
    })
  })

  const invites = createInviteMaker({
    deviceKey,
    self,
    registry,
    sealed: components.sealed,
    labels: components.inviteLabels,
    addresses: () => inviteAddresses(node.getMultiaddrs().map((a) => a.toString()), (peer) => components.isRelay(peer))
  })
  await invites.start()
  const makeInvites = async (w: Workspace, specs: InviteSpec[]): Promise<InviteView[]> => {
    const made = await invites.make(w, specs)
    changed(w.record.ws)
    spread()
    return made
  }

  const onIdentify = (evt: CustomEvent<{ peerId: PeerId; protocols: string[] }>): void => {
    // Only members are told which workspaces this device is in (the hello names them, with its
    // certificates); a member this device has not heard of yet syncs from its side and is
    // admitted by its certificate.
    if (evt.detail.protocols.includes(MEMBERSHIP_PROTOCOL) && allows(evt.detail.peerId.toString())) void syncPeer(evt.detail.peerId).then(renew)
  }
  node.addEventListener('peer:identify', onIdentify)

  return {
    list: () => registry.list().map(view),

    create: async (name, opts = {}) => {
      const trimmed = name.trim()
      if (trimmed.length === 0 || textLength(trimmed) > MAX_WORKSPACE_NAME) throw new EnclaveError('bad-request', `a workspace name has 1–${MAX_WORKSPACE_NAME} characters`)
      const keep = opts.keep ?? []
      if (keep.length > MAX_INVITED_AT_CREATE) throw new EnclaveError('too-large', `at most ${MAX_INVITED_AT_CREATE} devices can be kept while they are invited`)
      // Before the workspace exists: from then on the door closes on everyone else.
      const until = Date.now() + INVITED_KEEP_MS
      for (const [peer, t] of invited) if (t <= Date.now()) invited.delete(peer)
      for (const peer of keep) if (peer !== self) invited.set(peer, until)
      if (keep.length > 0) setTimeout(() => { if (!stopped) enforce() }, INVITED_KEEP_MS + 1_000).unref()
      const root = await createRootKey()
      const ws = workspaceIdOf(root.publicKey)
      const userId = newUserId()
      const genesis = await signOp(root, { v: 1, ws, parents: [], author: 'root', ts: Date.now(), body: { type: 'create', name: trimmed, rootKey: root.publicKey.raw, owner: { userId, device: self, profile: { name: myName() } } } })
      // The root key signed the genesis op and is not kept: nothing later needs it, so nothing can leak it.
      const w = await registry.adopt({ ws, userId, joinedAt: Date.now(), certificate: null }, [genesis])
      const now = Date.now()
      const cert = await issueCertificate(deviceKey, { ws, userId, device: self, role: 'owner', issuedAt: now, expiresAt: now + CERTIFICATE_LIFETIME_MS, mlsKey: null, issuer: self })
      await registry.setCertificate(ws, cert.signed)
      changed(ws)
      return view(w)
    },

    invite: async (ws, opts) => {
      const w = workspace(ws)
      requireAdmin(w)
      const label = opts.label?.trim() ?? ''
      const [made] = await makeInvites(w, [{
        role: opts.role ?? 'member',
        expiresAt: Date.now() + (opts.expiresInMs ?? DEFAULT_INVITE_MS),
        approval: opts.approval ?? false,
        uses: opts.uses ?? 1,
        departments: [...new Set(opts.departments ?? [])],
        label: label === '' ? null : label
      }])
      if (made === undefined) throw new EnclaveError('internal', 'no invite was made')
      return made
    },

    inviteCsv: async (ws, csv, opts) => {
      const w = workspace(ws)
      const me = requireAdmin(w)
      const { invitees, errors } = parseInviteCsv(csv, w.log.state().departments.values(), me.role === 'owner' ? ['member', 'guest', 'admin'] : ['member', 'guest'])
      if (errors.length > 0) return { ok: false, errors }
      const expiresAt = Date.now() + (opts.expiresInMs ?? DEFAULT_INVITE_MS)
      const made = await makeInvites(w, invitees.map((row) => ({ role: row.role, expiresAt, approval: false, uses: 1, departments: row.departments, label: row.email === '' ? row.name : `${row.name} <${row.email}>` })))
      return { ok: true, invites: made.map((invite, i) => ({ ...invite, line: invitees[i]?.line ?? 0, name: invitees[i]?.name ?? '', email: invitees[i]?.email ?? '' })) }
    },

    readInvite: (link) => {
      const invite = decodeInviteLink(link)
      return { workspaceId: invite.ws, name: invite.name, fingerprint: invite.fingerprint, alreadyIn: registry.get(invite.ws) !== undefined }
    },

    join: async (link) => {
      const invite = decodeInviteLink(link)
      if (registry.get(invite.ws) !== undefined) throw new EnclaveError('already-member', 'this device is already in that workspace')
      const open = (address: string): ReturnType<typeof node.dialProtocol> => node.dialProtocol(multiaddr(address), JOIN_PROTOCOL, { signal: AbortSignal.timeout(15_000), runOnLimitedConnection: true })
      const result = await joinByInvite({ open, log: log.child('join') }, invite, newUserId(), myName())
      const genesis = result.ops.find((op) => op.body.type === 'create')
      if (genesis?.body.type !== 'create' || rootFingerprint(rootPublicKeyFromRaw(genesis.body.rootKey)) !== invite.fingerprint) {
        throw new EnclaveError('invite-invalid', 'the workspace does not match the invite\'s fingerprint')
      }
      const w = await registry.adopt({ ws: invite.ws, userId: result.userId, joinedAt: Date.now(), certificate: null }, result.ops)
      if (memberOfDevice(w.log.state(), self) === undefined) throw new EnclaveError('invite-invalid', 'the inviting device did not add this device')
      if (result.certificate !== null) await registry.setCertificate(invite.ws, result.certificate)
      changed(invite.ws)
      spread()
      // The inviter's relays are the company's: this device keeps a reservation there too.
      const relays = [...new Set(invite.addresses.filter((a) => a.includes('/p2p-circuit')).map((a) => a.slice(0, a.indexOf('/p2p-circuit'))))]
      if (relays.length > 0) bus.emit('relays:learned', relays)
      return view(w)
    },

    members: (ws) => members(workspace(ws)),

    // Leaving is allowed to anyone, so `remove` checks only what the log checks.
    removeMember: async (ws, userId) => members(await act(ws, { type: 'remove', userId }, false)),
    leave: async (ws) => {
      const w = workspace(ws)
      const me = memberOfDevice(w.log.state(), self)
      if (me === undefined) throw new EnclaveError('not-member', 'this device is no longer in that workspace')
      if (me.role === 'owner') throw new EnclaveError('bad-request', 'the owner hands the workspace over to another member before leaving')
      await appendOwn(w, { type: 'remove', userId: me.userId })
      changed(ws)
      return view(w)
    },
    setRole: async (ws, userId, role) => members(await act(ws, { type: 'role', userId, role })),
    approve: async (ws, userId) => members(await act(ws, { type: 'approve', userId })),
    invites: (ws) => {
      const w = workspace(ws)
      requireAdmin(w)
      return invites.summaries(w)
    },
    revokeInvite: async (ws, inviteId) => invites.summaries(await act(ws, { type: 'revokeInvite', inviteId })),

    updateProfile: async (ws, profile, userId) => {
      const w = workspace(ws)
      // Empty optional fields mean "none": the log stores only what is there.
      const clean: Profile = { name: profile.name.trim() }
      const given = (value: string | undefined): string | undefined => (value?.trim() === '' ? undefined : value?.trim())
      const title = given(profile.title)
      if (title !== undefined) clean.title = title
      // Phone and email stay out of the log, which guests receive: the op names them by a commitment.
      const phone = given(profile.phone)
      const email = given(profile.email)
      if (phone !== undefined || email !== undefined) {
        const sealed = sealValue({ k: 'contact', ...(phone === undefined ? {} : { phone }), ...(email === undefined ? {} : { email }) })
        await components.sealed.keep(sealed)
        clean.contact = sealed.commitment
      }
      // The picture itself stays out of the log: the op names it, members fetch it from here.
      const avatar = profile.avatar?.trim()
      if (avatar !== undefined && avatar !== '') clean.avatar = await components.avatars.put(avatar)
      await appendOwn(w, { type: 'profile', userId: userId ?? w.record.userId, profile: clean })
      return members(w)
    },

    departments: (ws) => departmentViews(workspace(ws)),

    saveDepartment: async (ws, dept) => {
      const departmentId = dept.departmentId ?? `dep-${randomBytes(10).toString('hex')}`
      const order = dept.order ?? workspace(ws).log.state().departments.size
      return departmentViews(await act(ws, { type: 'department', departmentId, parentId: dept.parentId, name: dept.name.trim(), order }))
    },
    deleteDepartment: async (ws, departmentId) => departmentViews(await act(ws, { type: 'deleteDepartment', departmentId })),

    search: (ws, query) => {
      const w = workspace(ws)
      const state = w.log.state()
      return directory.search(w, query).flatMap((userId) => {
        const m = state.members.get(userId)
        return m === undefined ? [] : [memberView(m, lookups)]
      })
    },

    assign: async (ws, userId, departments) => members(await act(ws, { type: 'assign', userId, departments })),

    setRelays: async (ws, relays) => view(await act(ws, { type: 'relays', relays: [...new Set(relays.map((r) => r.trim()))] })),
    setMemberRelay: async (ws, enabled) => view(await act(ws, { type: 'settings', memberRelay: enabled })),
    setMessagePolicy: async (ws, recallMinutes) => view(await act(ws, { type: 'messagePolicy', recallMinutes })),
    setBackupPolicy: async (ws, backups) => view(await act(ws, { type: 'backupPolicy', backups })),
    backupPolicy: () => {
      const rules = registry.list().filter((w) => w.log.state().members.get(w.record.userId)?.status === 'active').map((w) => w.log.state().backupPolicy)
      return rules.includes('forbidden') ? 'forbidden' : rules.includes('required') ? 'required' : 'optional'
    },
    setFilePolicy: async (ws, policy) => view(await act(ws, { type: 'filePolicy', maxBytes: policy.maxBytes, blocked: [...new Set(policy.blocked)].sort(), guests: policy.guests })),

    relays: () => [...new Set(registry.list().flatMap((w) => w.log.state().relays))],

    removeDevice: async (device, ws) => {
      if (device === self) throw new EnclaveError('bad-request', 'a device cannot remove itself: remove it from another of your devices')
      const targets = ws === undefined
        ? registry.list().filter((w) => memberOfDevice(w.log.state(), device)?.userId === w.record.userId)
        : [workspace(ws)]
      if (targets.length === 0) throw new EnclaveError('not-found', 'that device is not one of yours in any workspace')
      for (const w of targets) {
        const owner = memberOfDevice(w.log.state(), device)
        if (owner === undefined) throw new EnclaveError('not-found', 'that device is in no member\'s account here')
        await appendOwn(w, { type: 'removeDevice', userId: owner.userId, device })
      }
      return targets.map((w) => w.record.ws)
    },

    linking: {
      mine: () => registry.list().flatMap((w) => {
        const me = w.log.state().members.get(w.record.userId)
        return me?.status === 'active' && me.devices.includes(self) ? [{ ws: w.record.ws, userId: w.record.userId }] : []
      }),
      knows: (device) => registry.list().some((w) => w.log.state().devices.has(device) || w.log.state().removedDevices.has(device)),
      addDevice: async (ws, device, proof) => { await appendOwn(workspace(ws), { type: 'addDevice', userId: workspace(ws).record.userId, device, proof }) },
      logFrames: (ws) => packMissing(workspace(ws).log, [], null, undefined).frames,
      adoptLinked: async (ws, userId, ops) => {
        if (registry.get(ws) !== undefined) throw new EnclaveError('already-member', 'this device is already in that workspace')
        if (!ops.some((op) => op.body.type === 'create')) throw new EnclaveError('bad-frame', 'the handed-over log does not begin with the workspace\'s creation')
        const w = await registry.adopt({ ws, userId, joinedAt: Date.now(), certificate: null }, ops)
        if (memberOfDevice(w.log.state(), self)?.userId !== userId) throw new EnclaveError('unauthorized', 'the other device did not add this one to its account')
        changed(ws)
        spread()
        return view(w)
      },
      nameIn: (ws) => {
        const w = registry.get(ws)
        return w === undefined ? null : memberOfDevice(w.log.state(), self)?.profile.name ?? null
      },
      // Kept like a device invited at creation: connected, still refused every member protocol.
      keep: (device, ms) => { invited.set(device, Date.now() + ms) },
      inAny: () => registry.list().length > 0
    },

    start: () => {
      renewTimer = setInterval(renew, RENEW_INTERVAL_MS).unref()
      for (const w of registry.list()) {
        bus.emit('membership:changed', { ws: w.record.ws })
        const relays = w.log.state().relays
        if (relays.length > 0) bus.emit('relays:learned', relays)
      }
    },
    stop: () => {
      stopped = true
      peerSync.stop()
      readiness.stop()
      clearInterval(renewTimer)
      grace.stop()
      node.removeEventListener('peer:identify', onIdentify)
    }
  }
}

export type { WorkspaceId }
