/**
 * For unit tests of the chat internals: several devices' chat services in one process, each
 * with its own LevelDB store and real MLS groups, wired by libp2p stream pairs instead of a
 * network. Links can be cut and restored, devices restarted on their store, and envelopes
 * taken from one device's cipher log and handed to another by hand, in any order or altered,
 * through the same chat stream handler a peer would reach. Nothing here is used by the core.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { createBus } from '../bus.js'
import { parsePeerId, parseWorkspaceId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { concatFrames, readFrameBatches } from '../net/frame-reader.js'
import { openStore, type Store } from '../store/store.js'
import { openSearchIndex, type SearchIndex } from '../search/search-index.js'
import { CHAT_PROTOCOL, decodeFrame, encodeFrame, MAX_FRAME_BYTES } from './chat-frames.js'
import { createChatService, type ChatService } from './chat-service.js'
import { createCipherLog } from './cipher-log.js'
import { createHybridClock } from './hybrid-clock.js'
import type { ConversationId, ConversationView, EventName, Events, MessageView, PeerIdString, WorkspaceId } from '../api/contract.js'
import type { CoreBus, CoreEvents } from '../core-events.js'
import type { StreamHandler } from '../net/protocol-host.js'
import type { ChatComponents } from './chat-context.js'
import type { Envelope } from './envelope.js'
import type { ConversationRecord } from './message-log.js'
import type { MembershipPolicy } from './membership-policy.js'
import type { OutboxInit } from './outbox.js'
import type { Connection, PrivateKey, Stream } from '@libp2p/interface'

/** The one workspace every test device is an active member of. */
export const TEST_WORKSPACE: WorkspaceId = parseWorkspaceId(`w${'a'.repeat(32)}`)

/** Delivery retries fast, so a device that comes back is reached within milliseconds. */
const FAST_OUTBOX: OutboxInit = { minBackoffMs: 5, maxBackoffMs: 40, dialTimeoutMs: 2_000 }

/** An event the device told its shells, as a union so a name check narrows the payload. */
export type TestEvent = { [E in EventName]: { name: E; payload: Events[E] } }[EventName]

export interface TestDevice {
  readonly id: PeerIdString
  /** The device's key: signs envelopes in its name (a test playing the device itself). */
  readonly key: PrivateKey
  /** Replaced by `restart`: always read it from the device. */
  readonly chat: ChatService
  readonly store: Store
  readonly bus: CoreBus
  /** Every log line of this device (debug included), across restarts. */
  readonly lines: Array<Record<string, unknown>>
  /** What the device told its shells since it was made (across restarts). */
  readonly events: TestEvent[]
  /** `chat.messageAdded` payloads, in order. */
  added(conv?: ConversationId): MessageView[]
  /** `chat.messageUpdated` payloads, in order. */
  updated(conv?: ConversationId): MessageView[]
  /** The newest `conversations.changed` payload for a conversation. */
  lastView(conv: ConversationId): ConversationView | undefined
  /** The conversation's record as last written to disk. */
  record(conv: ConversationId): Promise<ConversationRecord | undefined>
  /** Envelopes in this device's cipher log for a conversation, by author then seq. */
  envelopes(conv: ConversationId, author?: PeerIdString): Promise<Envelope[]>
  /** Log lines at warn or above whose message is `msg`. */
  warnings(msg: string): Array<Record<string, unknown>>
}

export interface TestDevicesInit {
  /** Per device (by index): outbox settings on top of fast retries. */
  outbox?: (index: number) => OutboxInit
  /** Devices (by index) that act as mailboxes for the others. */
  mailboxes?: number[]
  /** [first, later]: the later device is the first one's person's, outside the workspace until `linkDevice`. */
  linked?: Array<[number, number]>
  /** Devices of people outside the workspace until `linkDevice` (which lets them join, each its own person). */
  joinLater?: number[]
}

export interface TestDevices {
  readonly devices: TestDevice[]
  /** Cuts (false) or restores (true) both directions between two devices; cutting resets open streams. */
  link(a: TestDevice, b: TestDevice, up: boolean): void
  /** Cuts or restores one direction only: `from` cannot open streams to `to`. */
  oneWay(from: TestDevice, to: TestDevice, up: boolean): void
  /** Answers `protocol` for `device` with `handler` instead of its chat service (undefined: its own again). */
  serveInstead(device: TestDevice, protocol: string, handler: StreamHandler | undefined): void
  /** The handler a device's chat service serves `protocol` with, for tests that feed it raw bytes. */
  handlerOf(device: TestDevice, protocol: string): StreamHandler | undefined
  /** Stops a device's chat, closes and reopens its store (`whileStopped` may change it), and starts a new chat service on it. */
  restart(device: TestDevice, whileStopped?: (store: Store) => Promise<void>): Promise<void>
  /**
   * The device's user leaves the workspace, as every device's policy sees it (the device itself
   * goes on as if nothing happened: a removed member's client that still writes).
   */
  removeFromWorkspace(device: TestDevice): void
  /** A device named in `linked` joins its person in the workspace, as every device's policy sees it. */
  linkDevice(device: TestDevice): void
  /** The workspace's recall time limit, as every device's policy sees it (null: none). */
  setRecallMinutes(minutes: number | null): void
  /** Moves a device's clock by `ms` (for time passing without waiting). */
  skew(device: TestDevice, ms: number): void
  /**
   * Hands envelopes to `to` on one chat stream, as if `from` opened it, in one batch (whether or
   * not their link is cut: this is the test's own path, a mailbox or a relay); resolves
   * with the (author, seq) of every ack `to` sent back.
   */
  deliver(to: TestDevice, from: TestDevice, envs: Envelope[]): Promise<Array<{ author: string; seq: number }>>
  /** Waits for `check` to hold, failing with `what` after a deadline generous for a loaded machine. */
  until(what: string, check: () => boolean | Promise<boolean>): Promise<void>
  close(): Promise<void>
}

/** One device: what `restart` replaces lives here, and the device object reads it through. */
interface Node {
  readonly index: number
  readonly id: PeerIdString
  readonly key: PrivateKey
  readonly path: string
  /** Seals the store and hides its keys, as the core's does. */
  readonly dataKey: Uint8Array
  readonly log: ReturnType<typeof createMemoryLogger>
  readonly events: TestEvent[]
  store: Store
  bus: CoreBus
  chat: ChatService
  /** Its search index (the core's owns one the same way: opened before chat, filled after, closed after). */
  search: SearchIndex | null
  handlers: Map<string, StreamHandler>
  running: boolean
  /** Added to the wall clock the device's messages are stamped with (time passing, without waiting); shared by restarts. */
  readonly skew: { ms: number }
}

/** A channel made by the first of three devices (the workspace's admin), with both others in it. */
export async function channelTrio(): Promise<{ net: TestDevices; a: TestDevice; b: TestDevice; c: TestDevice; conv: ConversationId }> {
  const net = await createTestDevices(3)
  const [a, b, c] = net.devices
  if (a === undefined || b === undefined || c === undefined) throw new Error('three devices were made')
  const view = await a.chat.createChannel({ workspaceId: TEST_WORKSPACE, name: 'team', members: [b.id, c.id] })
  await net.until('members joined', async () => (await b.record(view.id))?.name === 'team' && (await c.record(view.id))?.name === 'team')
  return { net, a, b, c, conv: view.id }
}

/** `n` devices, all active in one workspace, the first its admin. */
export async function createTestDevices(n: number, init: TestDevicesInit = {}): Promise<TestDevices> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-chat-devices-'))
  const keys = await Promise.all(Array.from({ length: n }, () => generateKeyPair('Ed25519')))
  const ids = keys.map((k) => parsePeerId(peerIdFromPrivateKey(k).toString()))
  const nodes = new Map<PeerIdString, Node>()
  const cut = new Set<string>()
  const standIns = new Map<string, StreamHandler>()
  /** Open streams, with the two devices at their ends, so cutting a link can reset them. */
  const streams: Array<{ ends: [PeerIdString, PeerIdString]; stream: Stream }> = []
  const mailboxIds = (init.mailboxes ?? []).map((i) => ids[i]).filter((d): d is PeerIdString => d !== undefined)

  /** Devices whose user left or was removed (or not linked yet): the others' policy no longer counts them in. */
  const removed = new Set<PeerIdString>([...(init.linked ?? []).map(([, later]) => later), ...init.joinLater ?? []].flatMap((i) => ids[i] ?? []))
  /** Each device's person, by index: its own unless it is linked to another's. */
  const personOf = ids.map((_, i) => init.linked?.find(([, later]) => later === i)?.[0] ?? i)
  /** A person's user id: made from their index. */
  const userOf = (person: number): string => `user${String(person).padStart(4, '0')}`
  const policy: MembershipPolicy = {
    isActiveDevice: (_ws, device) => ids.includes(parsePeerId(device)) && !removed.has(parsePeerId(device)),
    isAdminDevice: (_ws, device) => device === ids[0],
    isGuestDevice: () => false,
    // No device is owner: the workspace channel is never made behind a test's back.
    isOwnerDevice: () => false,
    workspaceName: () => null,
    activeDevices: () => ids.filter((d) => !removed.has(d)),
    devicesOfPeople: (_ws, devices) => {
      const people = new Set(devices.map((d) => personOf[ids.indexOf(parsePeerId(d))]))
      return ids.filter((d, i) => people.has(personOf[i]) && !removed.has(d))
    },
    personOf: (_ws, device) => {
      const i = ids.indexOf(parsePeerId(device))
      return i < 0 || removed.has(parsePeerId(device)) ? null : userOf(personOf[i] ?? i)
    },
    devicesOfPerson: (_ws, person) => ids.filter((d, i) => userOf(personOf[i] ?? i) === person && !removed.has(d)),
    people: () => [...new Set(ids.filter((d) => !removed.has(d)).map((d) => userOf(personOf[ids.indexOf(d)] ?? 0)))],
    sharedWith: (device) => (ids.includes(parsePeerId(device)) && !removed.has(parsePeerId(device)) ? [TEST_WORKSPACE] : []),
    recallMinutes: () => recallMinutes
  }
  let recallMinutes: number | null = null

  const reachable = (from: PeerIdString, to: PeerIdString): boolean => !cut.has(`${from}>${to}`) && nodes.get(to)?.running === true

  /** Opens a stream from one device to another's handler for `protocol`, as libp2p would. */
  const open = async (from: PeerIdString, to: PeerIdString, protocol: string, byHand = false): Promise<Stream> => {
    // By hand is the test's own path: it reaches a running device whatever links are cut.
    const up = byHand ? nodes.get(to)?.running === true : reachable(from, to)
    const handler = up ? standIns.get(`${to}/${protocol}`) ?? nodes.get(to)?.handlers.get(protocol) : undefined
    if (handler === undefined) throw new Error(`${to} is unreachable from ${from}`)
    const [near, far] = await streamPair()
    streams.push({ ends: [from, to], stream: near }, { ends: [from, to], stream: far })
    // The chat and group handlers read only who is at the other end.
    const connection = { remotePeer: peerIdFromString(from) } as unknown as Connection
    void Promise.resolve(handler(far, connection)).catch(() => undefined)
    return near
  }

  const resetStreams = (match: (ends: [PeerIdString, PeerIdString]) => boolean): void => {
    for (const s of streams) if (match(s.ends) && s.stream.status === 'open') s.stream.abort(new Error('link cut'))
  }

  /** What a process start makes afresh on a device's store: its chat service, bus and handlers. */
  type Started = Pick<Node, 'chat' | 'bus' | 'handlers' | 'search'>
  const makeChat = async (node: Omit<Node, keyof Started | 'running'>): Promise<Started> => {
    const self = node.id
    const handlers = new Map<string, StreamHandler>()
    const bus = createBus<CoreEvents>(node.log)
    const components: ChatComponents = {
      store: node.store,
      log: node.log,
      clock: createHybridClock(() => Date.now() + node.skew.ms),
      emit: (name, payload) => { node.events.push({ name, payload } as TestEvent) },
      self,
      deviceKey: node.key,
      policy,
      bus,
      protocols: {
        handleMembers: (protocol, handler) => { handlers.set(protocol, handler); return Promise.resolve() },
        dial: (peer, protocol) => open(self, peer, protocol)
      },
      connectedPeers: () => ids.filter((d) => d !== self && reachable(self, d)),
      mailboxes: () => mailboxIds.filter((d) => d !== self),
      mailbox: mailboxIds.includes(self),
      index: mailboxIds.includes(self) ? null : await openSearchIndex({ store: node.store, log: node.log.child('search'), onStatus: (status) => { node.events.push({ name: 'search.indexChanged', payload: status }) } })
    }
    const chat = await createChatService(components, { ...FAST_OUTBOX, ...init.outbox?.(node.index) })
    return { chat, bus, handlers, search: components.index }
  }

  /** Serves the device's protocols and starts its chat (delivering what waited in its outbox). */
  const start = async (node: Node, started: Started): Promise<void> => {
    Object.assign(node, started)
    node.running = true
    await node.chat.start()
    node.search?.fill(node.chat.searchSource)
  }

  const device = (node: Node): TestDevice => {
    const messages = (name: 'chat.messageAdded' | 'chat.messageUpdated', conv?: ConversationId): MessageView[] =>
      node.events.flatMap((e) => (e.name === name && (conv === undefined || e.payload.conversationId === conv) ? [e.payload] : []))
    return {
      id: node.id,
      key: node.key,
      get chat () { return node.chat },
      get store () { return node.store },
      get bus () { return node.bus },
      lines: node.log.lines,
      events: node.events,
      added: (conv) => messages('chat.messageAdded', conv),
      updated: (conv) => messages('chat.messageUpdated', conv),
      lastView: (conv) => node.events.flatMap((e) => (e.name === 'conversations.changed' && e.payload.id === conv ? [e.payload] : [])).at(-1),
      record: (conv) => node.store.collection<ConversationRecord>('conversations').get(conv),
      envelopes: async (conv, author) => (await createCipherLog(node.store).missing(conv, {}, 100_000)).filter((e) => author === undefined || e.author === author),
      warnings: (msg) => node.log.lines.filter((l) => (l.level === 'warn' || l.level === 'error') && l.msg === msg)
    }
  }

  const devices: TestDevice[] = []
  for (const [index, id] of ids.entries()) {
    const key = keys[index]
    if (key === undefined) throw new Error('no key')
    const path = join(dir, `device-${index}`)
    const log = createMemoryLogger(`device-${index}`)
    const dataKey = randomBytes(32)
    const base = { index, id, key, path, dataKey, log, events: [], skew: { ms: 0 }, store: await openStore({ path, log, dataKey }) }
    const node: Node = { ...base, ...await makeChat(base), running: false }
    nodes.set(id, node)
    devices.push(device(node))
  }
  for (const node of nodes.values()) await start(node, node)

  const stopNode = async (node: Node): Promise<void> => {
    if (!node.running) return
    node.running = false
    await node.chat.stop()
    await node.search?.close()
    resetStreams((ends) => ends.includes(node.id))
    await node.store.close()
  }

  return {
    devices,
    link: (a, b, up) => {
      for (const key of [`${a.id}>${b.id}`, `${b.id}>${a.id}`]) {
        if (up) cut.delete(key)
        else cut.add(key)
      }
      if (!up) resetStreams((ends) => ends.includes(a.id) && ends.includes(b.id))
    },
    oneWay: (from, to, up) => {
      const key = `${from.id}>${to.id}`
      if (up) { cut.delete(key); return }
      cut.add(key)
      resetStreams((ends) => ends[0] === from.id && ends[1] === to.id)
    },
    handlerOf: (d, protocol) => nodes.get(d.id)?.handlers.get(protocol),
    serveInstead: (d, protocol, handler) => {
      if (handler === undefined) standIns.delete(`${d.id}/${protocol}`)
      else standIns.set(`${d.id}/${protocol}`, handler)
    },
    removeFromWorkspace: (d) => { removed.add(d.id) },
    linkDevice: (d) => {
      removed.delete(d.id)
      for (const node of nodes.values()) if (node.running) node.bus.emit('membership:changed', { ws: TEST_WORKSPACE })
    },
    setRecallMinutes: (minutes) => { recallMinutes = minutes },
    skew: (d, ms) => { const node = nodes.get(d.id); if (node !== undefined) node.skew.ms += ms },
    restart: async (d, whileStopped) => {
      const node = nodes.get(d.id)
      if (node === undefined) throw new Error('not a test device')
      await stopNode(node)
      node.store = await openStore({ path: node.path, log: node.log, dataKey: node.dataKey })
      await whileStopped?.(node.store)
      await start(node, await makeChat(node))
    },
    deliver: async (to, from, envs) => {
      // A positive witness: an envelope `to` has stored already, sent last. It is acknowledged
      // at once, and only after everything before it on the stream was handled, so envelopes
      // `to` refuses (and never acknowledges) cannot leave this waiting, or return too early.
      const conv = envs[0]?.conv
      const sent = new Set(envs.map((e) => `${e.author}/${e.seq}`))
      const witness = conv === undefined ? undefined : (await to.envelopes(conv)).filter((e) => !sent.has(`${e.author}/${e.seq}`)).at(-1)
      const stream = await open(from.id, to.id, CHAT_PROTOCOL, true)
      const acks: Array<{ author: string; seq: number }> = []
      let witnessed = false
      const reading = (async () => {
        try {
          for await (const batch of readFrameBatches(stream, { maxFrameBytes: MAX_FRAME_BYTES })) {
            for (const body of batch) {
              const frame = decodeFrame(body)
              if (frame.t !== 'ack') continue
              if (witness !== undefined && frame.author === witness.author && frame.seq === witness.seq && frame.conv === witness.conv) witnessed = true
              else acks.push({ author: frame.author, seq: frame.seq })
            }
            if (witness === undefined ? acks.length >= envs.length : witnessed) return
          }
        } catch {
          // The receiver reset the stream (a malformed frame): what it acked before stands.
        }
      })()
      stream.send(concatFrames([...envs, ...witness === undefined ? [] : [witness]].map((env) => encodeFrame({ t: 'msg', env }))))
      await reading
      await stream.close()
      return acks
    },
    until: async (what, check) => {
      const deadline = Date.now() + 15_000
      while (!await check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    },
    close: async () => {
      for (const node of nodes.values()) await stopNode(node)
      await rm(dir, { recursive: true, force: true })
    }
  }
}
