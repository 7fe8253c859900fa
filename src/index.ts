import './net/node-shims.js'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createApiServer, type ApiServer } from './api/server.js'
import { createBus } from './bus.js'
import { EnclaveError } from './errors.js'
import { createChatService } from './chat/chat-service.js'
import { createDrafts } from './chat/drafts.js'
import { MAX_DOC_EDIT_BYTES } from './chat/envelope.js'
import { createHybridClock } from './chat/hybrid-clock.js'
import { createLifecycle } from './core/lifecycle.js'
import { createRouter } from './core/router.js'
import { createSearchEverything } from './core/search-everything.js'
import { createDocsService } from './docs/docs-service.js'
import { createCallService } from './calls/call-service.js'
import { openSearchIndex } from './search/search-index.js'
import { mergeSources } from './search/fill-sources.js'
import { openBlobStore } from './files/blob-store.js'
import { createFileService, type FileService } from './files/file-service.js'
import { strictest } from './files/file-policy.js'
import { OPEN_FILE_POLICY } from './identity/membership-state.js'
import { loadOrCreateDeviceKey } from './identity/device-key.js'
import { createLogger, type Logger } from './logger.js'
import { createNetNode, DEFAULT_LISTEN, MEMBER_RELAY_LIMITS, relayReservations } from './net/libp2p-node.js'
import { noiseCryptoFromEnv } from './net/noise-crypto.js'
import { createMailboxDirectory } from './net/mailbox-directory.js'
import { createNetHealth } from './net/net-health.js'
import { createReconnectOnChange } from './net/network-watch.js'
import { createPeerBook } from './net/peer-book.js'
import { createProtocolHost } from './net/protocol-host.js'
import { createRelayList, loadAddedRelays } from './net/relay-list.js'
import { trackRelayTraffic } from './net/relay-traffic.js'
import { createStickyListen } from './net/sticky-listen.js'
import { createAvatars } from './org/avatars.js'
import { createSealedValues } from './org/sealed-values.js'
import { workspaceChannelId } from './identity/workspace-channel.js'
import { createMembershipAccess, memberRelayPolicy, reservationPolicy } from './org/membership-access.js'
import { createMemberRelay } from './org/member-relay.js'
import { createMemberRoutes, type MemberRoutes } from './org/member-routes.js'
import { createProfiles } from './org/profiles.js'
import { createWorkspaceRegistry } from './org/workspace-registry.js'
import { createWorkspaceService } from './org/workspace-service.js'
import { createDeviceLinks } from './org/device-link.js'
import { loadDataKey, type KeyProtection } from './store/store-key.js'
import { openStore } from './store/store.js'
import { peerIdOf } from './ids.js'
import { VERSION } from './version.js'
import { createBackupService } from './backup/backup-service.js'
import { readRestoredFrom } from './backup/backup-restore.js'
import type { Events, NodeInfo, PeerIdString } from './api/contract.js'
import type { OutboxInit } from './chat/outbox.js'
import type { MailboxQuotaInit } from './chat/mailbox-quota.js'
import type { MailboxFileLimits } from './files/mailbox-files.js'

/** A whole number from the environment, or undefined when unset or not one (then the default holds). */
function envNumber(name: string, min: number): number | undefined {
  const value = Number(process.env[name])
  return process.env[name] !== undefined && Number.isSafeInteger(value) && value >= min ? value : undefined
}

/** Keeps the keys whose values are set. */
const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>

/** An operator's (or a test's) mailbox limits from the environment; unset or invalid ones keep the defaults. */
function mailboxLimitsFromEnv(): MailboxQuotaInit {
  return defined({ perMemberBytes: envNumber('ENCLAVE_MAILBOX_MEMBER_BYTES', 1), totalBytes: envNumber('ENCLAVE_MAILBOX_TOTAL_BYTES', 1), retentionMs: envNumber('ENCLAVE_MAILBOX_RETENTION_MS', 1) })
}

/**
 * The file store's quota and the automatic download size, from ENCLAVE_FILE_QUOTA_BYTES and
 * ENCLAVE_FILE_AUTO_BYTES (tests and admins of small disks; Settings will carry them too), and
 * a mailbox's bytes of files per member from ENCLAVE_MAILBOX_FILE_BYTES.
 */
function fileLimitsFromEnv(): { quotaBytes?: number; autoDownloadBytes?: number; mailbox: MailboxFileLimits } {
  return {
    ...defined({ quotaBytes: envNumber('ENCLAVE_FILE_QUOTA_BYTES', 0), autoDownloadBytes: envNumber('ENCLAVE_FILE_AUTO_BYTES', 0) }),
    mailbox: defined({ memberBytes: envNumber('ENCLAVE_MAILBOX_FILE_BYTES', 0), retentionMs: envNumber('ENCLAVE_MAILBOX_RETENTION_MS', 1) })
  }
}
import type { CoreEvents } from './core-events.js'

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
  /** A mailbox's quotas and retention; else from ENCLAVE_MAILBOX_MEMBER_BYTES, _TOTAL_BYTES, _RETENTION_MS, else the defaults. */
  mailboxLimits?: MailboxQuotaInit
  /** Relays (full multiaddrs) to keep reservations on, so colleagues beyond the LAN reach this device. */
  relays?: string[]
  /**
   * Serve as the company's circuit relay (`enclave relay`). Bound to a workspace, it accepts
   * reservations only from that workspace's active members. Otherwise from the members of the
   * workspaces it is in, the devices in `allow`, or, with `allow: 'anyone'`, any device (a lab):
   * a relay in no workspace with no list is a relay for nobody, never an open one by accident.
   */
  relay?: { workspace?: string; allow?: string[] | 'anyone' }
  /**
   * How the store's data key is protected: a passphrase, or a key file (0600). Or the key itself,
   * when a shell unwraps it (Electron's safeStorage).
   * @default a key file `store.key` in the data folder, made on first start
   */
  storeKey?: KeyProtection | { kind: 'data-key'; key: Uint8Array }
  /**
   * The shell's way to restart this device on a restored data folder (`backup.restore` on a
   * device that has nothing yet): stop this core, put `staged` in place of the data folder, start
   * a new core. Without it, backups are restored with `enclave backup restore`.
   */
  replaceData?: (staged: string) => Promise<void>
}

export interface Core {
  readonly peerId: PeerIdString
  /** The API: connect shells' ports to it, or call it in-process. */
  readonly api: ApiServer
  info(): NodeInfo
  /** A file's plaintext for a download ticket from `files.downloadLink` (the browser shell's HTTP route). */
  download(ticket: string): ReturnType<FileService['redeemTicket']>
  stop(): Promise<void>
}

/** Starts one Enclave device: store, identity, libp2p node, services, and the API over them. */
export async function createCore(init: CoreInit): Promise<Core> {
  const log = init.log ?? createLogger('enclave')
  await mkdir(init.dataDir, { recursive: true, mode: 0o700 })
  const protection = init.storeKey ?? { kind: 'key-file', path: join(init.dataDir, 'store.key') }
  const dataKey = protection.kind === 'data-key' ? protection.key : await loadDataKey(init.dataDir, protection)
  const store = await openStore({ path: join(init.dataDir, 'store'), log: log.child('store'), dataKey })
  const parts = createLifecycle(log)
  parts.add('store', { stop: () => store.close() })
  try {
    const bus = createBus<CoreEvents>(log.child('bus'))
    const shellEvents = createBus<Events>(log.child('events'))
    const emit = shellEvents.emit
    const deviceKey = await loadOrCreateDeviceKey(store.collection<string>('meta'))
    const registry = await createWorkspaceRegistry(store, log.child('registry'))
    const self = peerIdOf(peerIdFromPrivateKey(deviceKey))
    const access = createMembershipAccess(registry, self)
    // The relays this device knows are listed once the relay list exists (after the node).
    const companyRelays: { all?: () => string[] } = {}
    const usesRelay = (): boolean => (init.relays ?? []).length > 0 || (companyRelays.all?.().length ?? 0) > 0
    const relaysFor = memberRelayPolicy(access, registry, self, log.child('member-relay'), usesRelay)
    // Made after the node and the protocol host, which already ask it (peer routing, failed dials).
    const routing: { routes?: MemberRoutes } = {}
    // Relays added in Settings on earlier runs: the node keeps a reservation slot for each.
    const addedRelays = await loadAddedRelays(store.collection('meta'))

    const sticky = createStickyListen(init.listen ?? DEFAULT_LISTEN, store.collection('meta'))
    const node = await createNetNode({
      privateKey: deviceKey,
      listen: await sticky.current(),
      mdns: init.mdns ?? true,
      refuses: access.refuses,
      isKnown: access.allows,
      relays: [...new Set([...(init.relays ?? []), ...addedRelays])],
      // A company relay serves its people without limits; any other device (a mailbox aside)
      // may relay for colleagues with no other path, within limits, as its workspaces allow.
      relayServer: init.relay !== undefined
        ? { allowsReservation: reservationPolicy(access, registry, init.relay, log) }
        : init.mailbox === true ? undefined : { allowsReservation: relaysFor, limits: MEMBER_RELAY_LIMITS },
      findPeer: (peer, options) => routing.routes === undefined ? Promise.reject(new EnclaveError('not-found', 'no routes yet')) : routing.routes.findPeer(peer, options),
      noiseCrypto: noiseCryptoFromEnv(),
      start: false
    })
    parts.add('node', {
      start: async () => {
        await node.start()
        await sticky.remember(node.getMultiaddrs().map((a) => a.toString()))
      },
      stop: () => node.stop()
    })
    const protocols = createProtocolHost({ node, log: log.child('protocols'), allows: access.allows, dialFailed: (peer) => routing.routes?.refresh(peer) })

    // ENCLAVE_PATH_UPGRADE_MS=0 keeps relayed peers relayed (bench:relay measures that path).
    const upgradeMs = process.env.ENCLAVE_PATH_UPGRADE_MS === undefined ? undefined : Number(process.env.ENCLAVE_PATH_UPGRADE_MS)
    const peers = parts.add('peers', await createPeerBook({ node, store, log: log.child('peers'), emit, bus, isMember: access.isMember,
      inWorkspace: () => registry.list().length > 0,
      reidentify: async (peer) => {
        const conn = node.getConnections(peerIdFromString(peer)).find((c) => c.status === 'open')
        if (conn !== undefined) await node.services.identify.identify(conn, { signal: AbortSignal.timeout(10_000) })
      }
    }, {
      ...(upgradeMs !== undefined && Number.isFinite(upgradeMs) ? { upgradeIntervalMs: upgradeMs } : {}),
      dialAtStart: init.peers ?? []
    }))
    if (init.relay === undefined) parts.add('member-relay', createMemberRelay({ node, bus, log: log.child('member-relay'), allows: relaysFor, isMember: access.allows, usesRelay }))
    routing.routes = parts.add('routes', await createMemberRoutes({ node, privateKey: deviceKey, store, access, protocols, bus, log: log.child('routes'), self }))
    const reserveOn = async (address: string): Promise<void> => {
      const reservations = relayReservations(node)
      const relay = peerIdFromString(multiaddr(address).getComponents().findLast((c) => c.name === 'p2p')?.value ?? '')
      if (reservations === undefined || reservations.hasReservation(relay)) return
      await reservations.reserve(relay)
    }
    const relays = parts.add('relays', createRelayList({ bus, log: log.child('relays'), dial: (address) => peers.dial(address), meta: store.collection('meta'), reserve: reserveOn }, init.relays ?? [], addedRelays))
    companyRelays.all = () => relays.all()
    const mailboxes = parts.add('mailboxes', await createMailboxDirectory({ node, protocols, meta: store.collection('meta'), bus, isMailbox: init.mailbox === true, allows: access.allows }))
    const profiles = parts.add('profiles', await createProfiles({ node, protocols, peers, meta: store.collection('meta'), emit, log: log.child('profiles'), allows: access.allows }))
    // Opened before chat and closed after it (parts stop in reverse): messages are indexed in the
    // batch that stores them. A relay or mailbox keeps no conversation to search.
    const restoredFrom = await readRestoredFrom(init.dataDir)
    const searchIndex = init.relay !== undefined || init.mailbox === true ? null : await openSearchIndex({ store, log: log.child('search'), onStatus: (status) => { emit('search.indexChanged', status) } })
    parts.add('search', { stop: () => searchIndex?.close() })
    const chat = parts.add('chat', await createChatService({
      store,
      log: log.child('chat'),
      clock: createHybridClock(),
      emit,
      bus,
      self,
      deviceKey,
      policy: access,
      protocols,
      connectedPeers: () => node.getPeers().map(peerIdOf),
      mailboxes: () => mailboxes.list(),
      mailbox: init.mailbox === true,
      mailboxLimits: init.mailboxLimits ?? mailboxLimitsFromEnv(),
      service: init.relay !== undefined,
      index: searchIndex,
      restoredFrom
    }, init.outbox))
    const docs = parts.add('docs', await createDocsService({
      node,
      protocols,
      bus,
      store,
      log: log.child('docs'),
      emit,
      self,
      groupAccess: (conv) => chat.groupAccess(conv),
      isWorkspaceGuest: (conv, device) => registry.list().some((w) => workspaceChannelId(w.record.ws) === conv && access.isGuestDevice(w.record.ws, device)),
      isConnected: (peer) => peers.isConnected(peer),
      sendEdit: (conv, doc, update) => chat.sendDocEdit(conv, doc, update),
      maxEditBytes: MAX_DOC_EDIT_BYTES,
      index: searchIndex
    }))
    // History not indexed yet (an older store, a damaged index) is indexed once everything runs.
    parts.add('search-history', { start: () => { searchIndex?.fill(mergeSources([chat.searchSource, ...(docs.textSource === null ? [] : [docs.textSource])])) } })
    const fileLimits = fileLimitsFromEnv()
    const files = parts.add('files', await createFileService({
      blobs: await openBlobStore(join(init.dataDir, 'blobs'), fileLimits.quotaBytes === undefined ? {} : { quotaBytes: fileLimits.quotaBytes }),
      records: store.collection('files'),
      chat,
      protocols,
      bus,
      emit,
      log: log.child('files'),
      self,
      isConnected: (peer) => peers.isConnected(peer),
      mailboxesFor: (conv) => chat.mailboxesFor(conv),
      deposits: store.collection('fileDeposits'),
      policyOf: (conv) => {
        const group = chat.groupAccess(conv)
        // A channel answers to its workspace; a DM to every workspace the two devices share.
        const spaces = group === null ? [] : group.workspaceId !== null ? [group.workspaceId] : group.peerId === null ? [] : access.sharedWith(group.peerId)
        const devices = [self, ...(group?.members ?? [])]
        return {
          ...strictest(spaces.map((ws) => registry.get(ws)?.log.state().filePolicy ?? OPEN_FILE_POLICY)),
          guestPresent: spaces.some((ws) => devices.some((d) => access.isGuestDevice(ws, d)))
        }
      }
    }, {
      ...(fileLimits.autoDownloadBytes === undefined ? {} : { autoDownloadBytes: fileLimits.autoDownloadBytes }),
      ...(init.mailbox === true ? { mailbox: fileLimits.mailbox } : {})
    }))
    const avatars = parts.add('avatars', await createAvatars({
      store,
      registry,
      protocols,
      bus,
      emit,
      log: log.child('avatars'),
      self,
      connectedPeers: () => node.getPeers().map(peerIdOf)
    }))
    const sealed = parts.add('sealed', await createSealedValues({
      store,
      registry,
      protocols,
      bus,
      emit,
      log: log.child('sealed'),
      self,
      connectedPeers: () => node.getPeers().map(peerIdOf)
    }))
    // Last among the services: starting it announces every workspace, to which the others react.
    const workspaces = parts.add('workspaces', await createWorkspaceService({
      node,
      log: log.child('workspaces'),
      emit,
      bus,
      deviceKey,
      registry,
      access,
      protocols,
      avatars,
      sealed,
      inviteLabels: store.collection('inviteLabels'),
      displayName: () => profiles.get().displayName,
      presenceOf: (device) => (device === self ? profiles.get().presence : peers.presence(device)),
      isRelay: relays.isRelay
    }))
    const devices = parts.add('devices', await createDeviceLinks({ node, protocols, deviceKey, log: log.child('devices'), emit, workspaces: workspaces.linking, displayName: () => profiles.get().displayName, setDisplayName: async (name) => { await profiles.set({ displayName: name }) } }))
    const backup = parts.add('backup', await createBackupService({
      source: { store, dataKey, blobsDir: join(init.dataDir, 'blobs'), storeDir: join(init.dataDir, 'store') },
      dataDir: init.dataDir,
      restoredFrom,
      meta: store.collection('meta'),
      emit,
      log: log.child('backup'),
      policy: () => workspaces.backupPolicy(),
      ...(init.replaceData === undefined ? {} : {
        restoreInPlace: {
          isFresh: async () => registry.list().length === 0 && (await chat.conversations()).length === 0,
          // The restored store's key is kept as this one's: the same passphrase or key file, or a
          // key file in the data folder; a key the shell unwraps itself is the shell's to keep.
          protection: (dir: string): KeyProtection | null => init.storeKey === undefined ? { kind: 'key-file', path: join(dir, 'store.key') } : init.storeKey.kind === 'data-key' ? null : init.storeKey,
          replaceData: init.replaceData
        }
      })
    }))
    const calls = parts.add('calls', await createCallService({
      protocols,
      bus,
      emit,
      log: log.child('calls'),
      self,
      groupAccess: (conv) => chat.groupAccess(conv),
      prepareGroup: (conv) => chat.prepareGroup(conv),
      // Another device of this person, in any workspace the two share.
      isSibling: (device) => registry.list().some((w) => { const me = access.personOf(w.record.ws, self); return me !== null && access.personOf(w.record.ws, device) === me })
    }))
    const health = parts.add('health', createNetHealth({ node, peers, relays, bus, emit, log, ...(init.relay === undefined ? {} : { traffic: trackRelayTraffic(node) }) }))
    parts.add('network', createReconnectOnChange(() => { peers.reconnectNow() }, log))

    const info = (): NodeInfo => ({ peerId: self, addresses: node.getMultiaddrs().map((a) => a.toString()), protocols: protocols.served(), version: VERSION })
    const api = createApiServer(createRouter({ info, health, peers, relays, chat, profiles, workspaces, docs, files, drafts: createDrafts({ drafts: store.collection('drafts'), emit }), search: createSearchEverything({ chat, docs, workspaces, state: store.collection('searchState') }), backup, devices, calls, emit }), log.child('api'), shellEvents)

    await parts.start()
    log.info('node started', { peerId: self, addresses: info().addresses })
    return {
      peerId: self,
      api,
      info,
      download: (ticket) => files.redeemTicket(ticket),
      stop: async () => {
        await parts.stop()
        log.info('node stopped', { peerId: self })
      }
    }
  } catch (err) {
    await parts.stop()
    throw err
  }
}

export type { KeyProtection } from './store/store-key.js'
export type { ApiServer } from './api/server.js'
export type { ApiPort } from './api/port.js'
export { mainPortToApiPort, type MainMessagePort } from './api/message-port.js'
