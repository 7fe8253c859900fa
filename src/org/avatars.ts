import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { coalescedTask } from '../coalesced-task.js'
import { memberOfDevice } from '../identity/membership-state.js'
import { AVATAR_TYPES, type AvatarRef, type AvatarType, type Profile } from '../identity/membership-op.js'
import { AVATAR_PROTOCOL, requestAvatar, serveAvatar } from './avatar-protocol.js'
import { avatarDataUrl, checkAvatarBytes, readAvatarDataUrl } from './avatar-image.js'
import { workspaceView } from './workspace-views.js'
import type { CoreBus } from '../core-events.js'
import type { Emit, PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Store } from '../store/store.js'
import type { WorkspaceRegistry } from './workspace-registry.js'

export interface AvatarsComponents {
  store: Store
  registry: WorkspaceRegistry
  protocols: ProtocolHost
  bus: CoreBus
  emit: Emit
  log: Logger
  self: PeerIdString
  /** Devices connected now. */
  connectedPeers(): PeerIdString[]
}

export interface AvatarsInit {
  /** Devices asked for one picture before it waits for the next member to connect. @default 4 */
  triesPerPicture?: number
  /** Timeout of one fetch. @default 10 s */
  fetchTimeoutMs?: number
}

export interface Avatars {
  /** Checks and keeps an uploaded picture (data: URL); returns the reference a profile op carries. */
  put(dataUrl: string): Promise<AvatarRef>
  /** The picture a profile shows, as a data: URL: inline in old ops, or from the cache; null until fetched. */
  urlOf(avatar: Profile['avatar']): string | null
  /** Loads cached pictures the logs name, and starts fetching missing ones. */
  start(): Promise<void>
  stop(): void
}

/** A cached picture: bytes (base64) and type; keyed by its SHA-256 like ops by their id. */
const cached = z.object({ type: z.enum(AVATAR_TYPES), data: z.string() }).strict()
type Cached = z.infer<typeof cached>

interface Wanted { ws: string; ref: AvatarRef; owners: PeerIdString[] }

/** How often the renderer hears of newly fetched pictures while many arrive. */
const ANNOUNCE_MS = 500

/**
 * Members' pictures, which live apart from the membership log: a profile op names a picture by
 * SHA-256, type and size, and the bytes come from members that have them
 * (`/enclave/avatar/1.0.0`), are checked against the reference, kept in the store and served to
 * other members in turn. Only pictures some member's current profile names are kept in memory,
 * fetched or served.
 */
export async function createAvatars(components: AvatarsComponents, init: AvatarsInit = {}): Promise<Avatars> {
  const { store, registry, protocols, log } = components
  const triesPerPicture = init.triesPerPicture ?? 4
  const fetchTimeoutMs = init.fetchTimeoutMs ?? 10_000
  const collection = store.collection<Cached>('avatars')
  /** data: URLs of cached pictures that some profile names, by SHA-256. */
  const urls = new Map<string, string>()
  /** Devices that failed to give a picture, per SHA-256: asked again only after a new member connects. */
  const failed = new Map<string, Set<string>>()
  const unsubscribe: Array<() => void> = []
  let stopped = false

  /** Every picture a current profile names, with the workspace and the member's devices. */
  const named = (): Map<string, Wanted> => {
    const out = new Map<string, Wanted>()
    for (const w of registry.list()) {
      for (const m of w.log.state().members.values()) {
        const avatar = m.profile.avatar
        if (avatar === undefined || typeof avatar === 'string' || out.has(avatar.sha256)) continue
        out.set(avatar.sha256, { ws: w.record.ws, ref: avatar, owners: m.devices })
      }
    }
    return out
  }

  const read = async (sha256: string): Promise<{ bytes: Uint8Array; type: AvatarType } | undefined> => {
    const value = cached.safeParse(await collection.get(sha256))
    return value.success ? { bytes: new Uint8Array(Buffer.from(value.data.data, 'base64')), type: value.data.type } : undefined
  }

  const keep = async (bytes: Uint8Array, ref: AvatarRef): Promise<void> => {
    await collection.put(ref.sha256, { type: ref.type, data: Buffer.from(bytes).toString('base64') })
    urls.set(ref.sha256, avatarDataUrl(bytes, ref.type))
  }

  const lookup = async (from: PeerIdString, ws: string, sha256: string): Promise<Uint8Array> => {
    const w = registry.get(ws)
    const state = w?.log.state()
    if (state === undefined || memberOfDevice(state, from)?.status !== 'active') throw new EnclaveError('not-member', 'not an active member of that workspace here')
    const inUse = [...state.members.values()].some((m) => typeof m.profile.avatar === 'object' && m.profile.avatar.sha256 === sha256)
    const found = inUse ? await read(sha256) : undefined
    if (found === undefined) throw new EnclaveError('not-found', 'no such picture here')
    return found.bytes
  }

  /** Devices to ask for a picture: its member's own first, then other connected active members. */
  const candidates = (item: Wanted): PeerIdString[] => {
    const state = registry.get(item.ws)?.log.state()
    if (state === undefined) return []
    const tried = failed.get(item.ref.sha256) ?? new Set()
    const connected = components.connectedPeers().filter((p) => p !== components.self && !tried.has(p) && memberOfDevice(state, p)?.status === 'active')
    const owners = new Set<string>(item.owners)
    return [...connected.filter((p) => owners.has(p)), ...connected.filter((p) => !owners.has(p))].slice(0, triesPerPicture)
  }

  const fetchOne = async (item: Wanted): Promise<boolean> => {
    for (const peer of candidates(item)) {
      try {
        const bytes = await requestAvatar(await protocols.dial(peer, AVATAR_PROTOCOL, AbortSignal.timeout(fetchTimeoutMs)), item.ws, item.ref.sha256)
        checkAvatarBytes(bytes, item.ref)
        await keep(bytes, item.ref)
        failed.delete(item.ref.sha256)
        return true
      } catch (err) {
        const tried = failed.get(item.ref.sha256) ?? new Set()
        tried.add(peer)
        failed.set(item.ref.sha256, tried)
        log.debug('picture fetch failed', { peer, sha256: item.ref.sha256, code: err instanceof EnclaveError ? err.code : 'internal', error: errorMessage(err) })
      }
    }
    return false
  }

  const announce = (changed: Set<string>): void => {
    for (const ws of changed) {
      const w = registry.get(ws)
      if (w !== undefined) components.emit('workspaces.changed', workspaceView(w))
    }
    changed.clear()
  }

  /** One picture at a time (a few KiB each): catching up on a big directory stays in the background. */
  const pump = async (): Promise<void> => {
    const changed = new Set<string>()
    let lastAnnounce = Date.now()
    const wanted = named()
    for (const sha256 of urls.keys()) if (!wanted.has(sha256)) urls.delete(sha256)
    for (const sha256 of failed.keys()) if (!wanted.has(sha256)) failed.delete(sha256)
    for (const item of wanted.values()) {
      if (stopped) return
      if (urls.has(item.ref.sha256)) continue
      const stored = await read(item.ref.sha256)
      if (stored !== undefined) urls.set(item.ref.sha256, avatarDataUrl(stored.bytes, item.ref.type))
      if (stored !== undefined || await fetchOne(item)) changed.add(item.ws)
      if (changed.size > 0 && Date.now() - lastAnnounce > ANNOUNCE_MS) { announce(changed); lastAnnounce = Date.now() }
    }
    announce(changed)
  }

  const fetching = coalescedTask(pump, (err) => { log.warn('picture fetching failed', { error: errorMessage(err) }) })
  const schedule = (): void => { if (!stopped) fetching.run() }

  await protocols.handleMembers(AVATAR_PROTOCOL, (stream, connection) => serveAvatar(stream, connection, { log, lookup }))

  return {
    put: async (dataUrl) => {
      const { bytes, ref } = readAvatarDataUrl(dataUrl)
      await keep(bytes, ref)
      return ref
    },
    urlOf: (avatar) => (avatar === undefined ? null : typeof avatar === 'string' ? avatar : urls.get(avatar.sha256) ?? null),
    start: async () => {
      const wanted = named()
      for await (const [sha256] of collection.entries()) {
        // A picture no profile names any more (replaced, or its member removed) is not kept.
        if (!wanted.has(sha256)) await collection.del(sha256)
      }
      for (const [sha256, item] of wanted) {
        const found = await read(sha256)
        if (found !== undefined) urls.set(sha256, avatarDataUrl(found.bytes, item.ref.type))
      }
      unsubscribe.push(
        components.bus.on('membership:changed', schedule),
        // A member who just connected may have the pictures others could not give.
        components.bus.on('peer:ready', (peer) => {
          for (const tried of failed.values()) tried.delete(peer)
          schedule()
        })
      )
      schedule()
    },
    stop: () => {
      stopped = true
      fetching.stop()
      for (const off of unsubscribe) off()
    }
  }
}
