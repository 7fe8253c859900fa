import './net/node-shims.js'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { createApiServer, type ApiServer, type Handlers } from './api/server.js'
import { CHAT_PROTOCOL } from './chat/chat-frames.js'
import { serveChatStream } from './chat/chat-protocol.js'
import { createChatService, type MembershipPolicy } from './chat/chat-service.js'
import { GROUP_PROTOCOL, serveGroupStream } from './chat/group-protocol.js'
import { createMailboxDirectory, MAILBOX_PROTOCOL } from './net/mailbox-directory.js'
import { createHybridClock } from './chat/hybrid-clock.js'
import { errorMessage } from './errors.js'
import { loadOrCreateDeviceKey } from './identity/device-key.js'
import { createLogger, type Logger } from './logger.js'
import { createNetNode, DEFAULT_LISTEN } from './net/libp2p-node.js'
import { relayStatus } from './net/relay-status.js'
import { trackRelayTraffic } from './net/relay-traffic.js'
import { watchNetwork } from './net/network-watch.js'
import { createDocsService, type DocsService } from './docs/docs-service.js'
import { DOCS_PROTOCOL, serveDocStream } from './docs/doc-protocol.js'
import { MAX_DOC_EDIT_BYTES } from './chat/envelope.js'
import { createStickyListen } from './net/sticky-listen.js'
import { createPeerBook } from './net/peer-book.js'
import { createProfiles, PROFILE_PROTOCOL } from './org/profiles.js'
import { CERTIFICATE_PROTOCOL } from './org/certificate-renewal.js'
import { JOIN_PROTOCOL } from './org/join-protocol.js'
import { MEMBERSHIP_PROTOCOL } from './org/membership-sync.js'
import { createWorkspaceService } from './org/workspace-service.js'
import { refuseStream } from './net/refuse-stream.js'
import { parseEnclaveLink } from './api/links.js'
import { createSealedCodec } from './store/sealed-codec.js'
import { loadDataKey, type KeyProtection } from './store/store-key.js'
import { openStore } from './store/store.js'
import { VERSION } from './version.js'
import type { ConversationView, Emit, NodeInfo, PeerIdString, RelayStatusView } from './api/contract.js'
import type { OutboxInit } from './chat/outbox.js'

const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

/** How often a relay logs its figures. */
const RELAY_STATS_MS = 60_000

export interface CoreInit {
  /** Folder holding this device's store; created if missing. */
  dataDir: string
  /** libp2p listen multiaddrs. @default TCP and WebSockets on all interfaces, OS-chosen ports */
  listen?: string[]
  /** Full multiaddrs of peers to dial at start (and redial when they drop). */
  peers?: string[]
  /** @default true */
  mdns?: boolean
  log?: Logger
  outbox?: OutboxInit
  /** Keep ciphertext for members who are offline and hand it over when they return (`--mailbox`). */
  mailbox?: boolean
  /** Relays (full multiaddrs) to keep reservations on, so colleagues beyond the LAN reach this device. */
  relays?: string[]
  /**
   * Serve as the company's circuit relay (`enclave relay`). Bound to a workspace, it accepts
   * reservations only from that workspace's active members; otherwise from any device the gate admits.
   */
  relay?: { workspace?: string }
  /**
   * How the store's data key is protected: a passphrase, or a key file (0600). Or the key itself,
   * when a shell unwraps it (Electron's safeStorage).
   * @default a key file `store.key` in the data folder, made on first start
   */
  storeKey?: KeyProtection | { kind: 'data-key'; key: Uint8Array }
}

export interface Core {
  readonly peerId: PeerIdString
  /** The API: connect shells' ports to it, or call it in-process. */
  readonly api: ApiServer
  info(): NodeInfo
  stop(): Promise<void>
}

/** Starts one Enclave device: store, identity, libp2p node, chat, and the API over them. */
export async function createCore(init: CoreInit): Promise<Core> {
  const log = init.log ?? createLogger('enclave')
  await mkdir(init.dataDir, { recursive: true, mode: 0o700 })
  const protection = init.storeKey ?? { kind: 'key-file', path: join(init.dataDir, 'store.key') }
  const dataKey = protection.kind === 'data-key' ? protection.key : await loadDataKey(init.dataDir, protection)
  const store = await openStore({ path: join(init.dataDir, 'store'), log: log.child('store'), codec: createSealedCodec(dataKey) })
  try {
    const privateKey = await loadOrCreateDeviceKey(store.collection<string>('meta'))
    const listen = createStickyListen(init.listen ?? DEFAULT_LISTEN, store.collection('meta'))
    const mdns = init.mdns ?? true
    // The gate asks the workspace service, which exists only once the node does.
    const gate = {
      refuses: (_peer: string): boolean => false,
      allows: (_peer: string): boolean => true,
      reserves: (_peer: string): boolean => false
    }
    const refuses = (peer: string): boolean => gate.refuses(peer)
    /** Relays learned from invites this run (the peer book keeps them connected across restarts). */
    const learnedRelays = new Set<string>()
    const relayServer = init.relay === undefined ? undefined : { allowsReservation: (peer: string) => gate.reserves(peer) }
    const netInit = { privateKey, mdns, refuses, relays: init.relays ?? [], relayServer }
    const node = await createNetNode({ ...netInit, listen: await listen.current() }).catch(async (err: unknown) => {
      log.warn('remembered listen ports are taken; choosing new ones', { error: errorMessage(err) })
      return createNetNode({ ...netInit, listen: await listen.renew() })
    })
    const self = node.peerId.toString() as PeerIdString
    const traffic = init.relay === undefined ? undefined : trackRelayTraffic(node)
    const clock = createHybridClock()

    // Services emit from the moment they exist; the API server that fans events out is made
    // last, once every handler's service is there.
    const hub: { api?: ApiServer; chat?: { peerConnected(peer: PeerIdString): void }; docs?: DocsService } = {}
    const emit: Emit = (name, payload) => {
      hub.api?.emit(name, payload)
      // Docs follow their conversation's group: a new epoch or member may call for a sync.
      if (name === 'conversations.changed') hub.docs?.conversationChanged((payload as ConversationView).id)
    }

    // Policy answers come from the workspace service, made after chat (it needs the peer book).
    const policy: MembershipPolicy = { isActiveDevice: () => false, activeDevices: () => [], isAdminDevice: () => false, sharedWith: () => [] }
    const mailboxes = await createMailboxDirectory(node, store.collection('meta'), init.mailbox === true, (peer) => { hub.chat?.peerConnected(peer) })
    const chat = await createChatService({
      store,
      log: log.child('chat'),
      clock,
      emit,
      self,
      deviceKey: privateKey,
      policy: {
        isActiveDevice: (ws, device) => policy.isActiveDevice(ws, device),
        activeDevices: (ws) => policy.activeDevices(ws),
        isAdminDevice: (ws, device) => policy.isAdminDevice(ws, device),
        sharedWith: (device) => policy.sharedWith(device)
      },
      openStream: (peer, signal) => node.dialProtocol(peerIdFromString(peer), CHAT_PROTOCOL, { signal }),
      openGroupStream: (peer, signal) => node.dialProtocol(peerIdFromString(peer), GROUP_PROTOCOL, { signal }),
      connectedPeers: () => node.getPeers().map((p) => p.toString() as PeerIdString),
      mailboxes: () => mailboxes.list(),
      mailbox: init.mailbox === true,
      service: init.relay !== undefined,
      onDocEdit: async (conv, from, doc, update) => { await hub.docs?.receiveEdit(conv, from, doc, update) }
    }, init.outbox)
    hub.chat = chat
    await node.handle(CHAT_PROTOCOL, (stream, connection) => {
      if (!gate.allows(connection.remotePeer.toString())) { refuseStream(stream, connection, log); return }
      return serveChatStream(chat, log.child('chat'), stream, connection)
    }, { maxInboundStreams: 64 })
    const docs = await createDocsService({
      node,
      store,
      log: log.child('docs'),
      emit,
      self,
      groupAccess: (conv) => chat.groupAccess(conv),
      isConnected: (peer) => node.getConnections(peerIdFromString(peer)).length > 0,
      sendEdit: (conv, doc, update) => chat.sendDocEdit(conv, doc, update),
      maxEditBytes: MAX_DOC_EDIT_BYTES
    })
    hub.docs = docs
    await node.handle(DOCS_PROTOCOL, (stream, connection) => {
      if (!gate.allows(connection.remotePeer.toString())) { refuseStream(stream, connection, log); return }
      return serveDocStream((from, req) => docs.handle(from, req), log.child('docs'), stream, connection)
    }, { maxInboundStreams: 64 })
    await node.handle(GROUP_PROTOCOL, (stream, connection) => {
      if (!gate.allows(connection.remotePeer.toString())) { refuseStream(stream, connection, log); return }
      return serveGroupStream(chat.groupHandlers, log.child('groups'), stream, connection)
    }, { maxInboundStreams: 32 })
    // ENCLAVE_PATH_UPGRADE_MS=0 keeps relayed peers relayed (bench:relay measures that path).
    const upgradeMs = Number(process.env.ENCLAVE_PATH_UPGRADE_MS ?? '')
    const peers = await createPeerBook({ node, store, log: log.child('peers'), emit, onConnect: (peer) => { chat.peerConnected(peer); docs.peerConnected(peer) } }, Number.isFinite(upgradeMs) && process.env.ENCLAVE_PATH_UPGRADE_MS !== undefined ? { upgradeIntervalMs: upgradeMs } : {})
    const profiles = await createProfiles({ node, peers, meta: store.collection('meta'), emit, log: log.child('profiles'), allows: (peer) => gate.allows(peer) })
    const workspaces = await createWorkspaceService({
      node,
      store,
      log: log.child('workspaces'),
      emit,
      deviceKey: privateKey,
      displayName: () => profiles.get().displayName,
      presenceOf: (device) => (device === self ? profiles.get().presence : peers.presence(device)),
      onPeerSynced: (peer) => { chat.peerConnected(peer as PeerIdString); docs.peerConnected(peer as PeerIdString) },
      onMembershipChanged: (ws) => { workspaceChanged(ws) },
      isRelay: (peer) => [...init.relays ?? [], ...learnedRelays].some((r) => r.endsWith(`/p2p/${peer}`)),
      onRelays: (relays) => { useRelays(relays) }
    })
    /** Relays named by an invite or a workspace's settings: dialled once, then kept by the peer book. */
    function useRelays(relays: string[]): void {
      for (const relay of relays) {
        if (learnedRelays.has(relay) || init.relays?.includes(relay) === true) continue
        learnedRelays.add(relay)
        peers.dial(relay).catch((err: unknown) => { log.warn('could not reach a workspace relay yet; will keep trying', { relay, error: errorMessage(err) }) })
      }
    }
    policy.isActiveDevice = (ws, device) => workspaces.isActiveDevice(ws, device)
    policy.activeDevices = (ws) => workspaces.activeDevices(ws)
    policy.isAdminDevice = (ws, device) => workspaces.isAdminDevice(ws, device)
    policy.sharedWith = (device) => workspaces.sharedWith(device)
    gate.refuses = (peer) => workspaces.refuses(peer)
    gate.allows = (peer) => workspaces.allows(peer)
    /**
     * Membership moved: chat groups follow it, and the owner's device makes the workspace's own
     * channel if missing. Only the owner (there is one): an admin whose device was not added yet
     * would otherwise start a second group under the same id.
     */
    function workspaceChanged(ws: string): void {
      chat.membershipChanged(ws)
      const view = workspaces.list().find((w) => w.id === ws)
      if (view?.status === 'active' && view.role === 'owner') chat.ensureWorkspaceChannel(ws, view.name).catch((err: unknown) => { log.warn('could not make the workspace channel', { ws, error: errorMessage(err) }) })
    }
    const relayWorkspace = init.relay?.workspace
    gate.reserves = (peer) => {
      const ok = relayWorkspace === undefined ? workspaces.allows(peer) && !workspaces.refuses(peer) : workspaces.isActiveDevice(relayWorkspace, peer)
      if (!ok) log.info('refused a relay reservation', { peer, code: 'not-member' })
      return ok
    }

    const info = (): NodeInfo => ({
      peerId: self,
      addresses: node.getMultiaddrs().map((a) => a.toString()),
      protocols: [CHAT_PROTOCOL, GROUP_PROTOCOL, DOCS_PROTOCOL, PROFILE_PROTOCOL, MEMBERSHIP_PROTOCOL, JOIN_PROTOCOL, CERTIFICATE_PROTOCOL, ...(init.mailbox === true ? [MAILBOX_PROTOCOL] : [])],
      version: VERSION
    })

    const status = (): RelayStatusView => ({ ...relayStatus(node, [...new Set([...init.relays ?? [], ...learnedRelays])], traffic), failures: peers.failures() })
    // A relay runs for months: one line a minute says how it is doing, for whoever tails its log.
    const statsTimer = traffic === undefined ? undefined : setInterval(() => {
      const s = status()
      log.info('relay stats', { reservations: s.reservations.length, circuits: s.circuits, circuitsTotal: s.circuitsTotal, bytesRelayed: s.bytesRelayed, connections: s.connections })
    }, RELAY_STATS_MS)
    statsTimer?.unref()

    const handlers: Handlers = {
      'node.info': () => Promise.resolve(info()),
      'relay.status': () => Promise.resolve(status()),
      'peers.list': () => Promise.resolve(peers.list()),
      'peers.dial': ({ address }) => peers.dial(address),
      'conversations.list': () => chat.conversations(),
      'conversations.open': ({ peerId }) => chat.open(peerId),
      'chat.send': (input) => chat.send(input, input.text),
      'chat.history': (input) => chat.history(input, { before: input.before, limit: input.limit }),
      'chat.retry': ({ messageId }) => chat.retry(messageId),
      'chat.markRead': ({ conversationId }) => chat.markRead(conversationId),
      'channels.create': (input) => chat.createChannel(input),
      'channels.add': ({ conversationId, members }) => chat.addMembers(conversationId, members),
      'channels.remove': ({ conversationId, peerId }) => chat.removeMember(conversationId, peerId),
      'channels.leave': ({ conversationId }) => chat.leave(conversationId),
      'channels.update': ({ conversationId, ...change }) => chat.updateChannel(conversationId, change),
      'channels.browse': ({ workspaceId }) => chat.browse(workspaceId),
      'channels.join': ({ conversationId }) => chat.join(conversationId),
      'profile.get': () => Promise.resolve(profiles.get()),
      'profile.set': (change) => profiles.set(change),
      'shell.openLink': ({ url }) => {
        const target = parseEnclaveLink(url)
        emit('shell.linkOpened', target)
        return Promise.resolve(target)
      },
      'workspaces.list': () => Promise.resolve(workspaces.list()),
      'workspaces.create': async ({ name }) => {
        const made = await workspaces.create(name)
        workspaceChanged(made.id)
        return made
      },
      'workspaces.invite': ({ workspaceId, ...opts }) => workspaces.invite(workspaceId, opts),
      'workspaces.join': ({ link }) => workspaces.join(link),
      'workspaces.members': ({ workspaceId }) => Promise.resolve(workspaces.members(workspaceId)),
      'workspaces.removeMember': ({ workspaceId, userId }) => workspaces.removeMember(workspaceId, userId),
      'workspaces.setRole': ({ workspaceId, userId, role }) => workspaces.setRole(workspaceId, userId, role),
      'workspaces.approve': ({ workspaceId, userId }) => workspaces.approve(workspaceId, userId),
      'workspaces.invites': ({ workspaceId }) => Promise.resolve(workspaces.invites(workspaceId)),
      'workspaces.revokeInvite': ({ workspaceId, inviteId }) => workspaces.revokeInvite(workspaceId, inviteId),
      'workspaces.updateProfile': ({ workspaceId, userId, profile }) => workspaces.updateProfile(workspaceId, profile, userId),
      'workspaces.departments': ({ workspaceId }) => Promise.resolve(workspaces.departments(workspaceId)),
      'workspaces.saveDepartment': ({ workspaceId, ...dept }) => workspaces.saveDepartment(workspaceId, dept),
      'workspaces.deleteDepartment': ({ workspaceId, departmentId }) => workspaces.deleteDepartment(workspaceId, departmentId),
      'workspaces.assign': ({ workspaceId, userId, departments }) => workspaces.assign(workspaceId, userId, departments),
      'workspaces.setRelays': ({ workspaceId, relays }) => workspaces.setRelays(workspaceId, relays),
      'directory.search': ({ workspaceId, ...query }) => Promise.resolve(workspaces.search(workspaceId, query)),
      'docs.list': ({ conversationId }) => docs.list(conversationId ?? null),
      'docs.create': ({ kind, title, conversationId }) => docs.create(kind, title, conversationId ?? null),
      'docs.rename': ({ docId, title }) => docs.rename(docId, title),
      'docs.open': ({ docId }) => docs.open(docId),
      'docs.update': ({ docId, update }) => docs.update(docId, fromBase64(update)),
      'docs.awareness': async ({ docId, update }) => { await docs.awareness(docId, fromBase64(update)); return {} }
    }

    const api = createApiServer(handlers, log.child('api'))
    hub.api = api
    await chat.start()
    // Relays are dialled and kept like configured peers; their reservations follow the connection.
    for (const address of [...init.peers ?? [], ...init.relays ?? []]) {
      peers.dial(address).catch((err: unknown) => { log.warn('could not reach configured peer yet; will keep trying', { address, error: errorMessage(err) }) })
    }
    useRelays(workspaces.relays())
    for (const w of workspaces.list()) workspaceChanged(w.id)
    // After a network change or sleep, reconnect at once instead of when a grown backoff ends.
    const network = watchNetwork((why) => {
      log.info('network changed; reconnecting', { why })
      peers.reconnectNow()
    })
    log.info('node started', { peerId: self, addresses: info().addresses })

    return {
      peerId: self,
      api,
      info,
      stop: async () => {
        clearInterval(statsTimer)
        network.stop()
        peers.stop()
        mailboxes.stop()
        profiles.stop()
        workspaces.stop()
        await chat.stop()
        await node.stop()
        await store.close()
        log.info('node stopped', { peerId: self })
      }
    }
  } catch (err) {
    await store.close()
    throw err
  }
}

export type { KeyProtection } from './store/store-key.js'
export type { ApiServer } from './api/server.js'
export type { ApiPort } from './api/port.js'
export { mainPortToApiPort, type MainMessagePort } from './api/message-port.js'
