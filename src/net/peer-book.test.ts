import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createBus } from '../bus.js'
import { parseConversationId, parseWorkspaceId, peerIdOf } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { createPeerBook, type PeerBook, type PeerBookInit, type PeerBookNode } from './peer-book.js'
import type { CoreEvents } from '../core-events.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { Store } from '../store/store.js'
import type { PeerRecord } from './peer-records.js'
import type { PeerId } from '@libp2p/interface'
import { memoryCollection } from '../store/test-memory-collection.js'

const DAY = 24 * 3600_000

/** A libp2p node that connects when told to and records every dial. */
class FakeNode extends EventTarget implements PeerBookNode {
  readonly dials: string[] = []
  readonly forgotten: string[] = []
  private readonly open = new Map<string, Multiaddr>()
  readonly peerStore = {
    merge: () => Promise.resolve(),
    delete: (peer: PeerId) => { this.forgotten.push(peer.toString()); return Promise.resolve() }
  }

  readonly services = { ping: { ping: () => Promise.resolve(1) } }
  constructor (readonly peerId: PeerId) { super() }

  getConnections (peer?: PeerId): ReturnType<PeerBookNode['getConnections']> {
    return [...this.open].filter(([id]) => peer === undefined || id === peer.toString()).map(([id, addr]) => ({
      status: 'open' as const,
      remoteAddr: addr,
      remotePeer: peerIdOfString(id),
      close: () => Promise.resolve(),
      abort: () => undefined
    }))
  }

  dial (target: PeerId | Multiaddr): Promise<unknown> {
    this.dials.push(target.toString())
    return Promise.reject(new Error('nobody there'))
  }

  connect (peer: PeerId, addr = '/ip4/10.0.0.9/tcp/4001'): void {
    this.open.set(peer.toString(), multiaddr(addr))
    ids.set(peer.toString(), peer)
    this.dispatchEvent(new CustomEvent('peer:connect', { detail: peer }))
  }

  disconnect (peer: PeerId): void {
    this.open.delete(peer.toString())
    this.dispatchEvent(new CustomEvent('peer:disconnect', { detail: peer }))
  }

  identify (peer: PeerId, addrs: string[]): void {
    this.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId: peer, listenAddrs: addrs.map((a) => multiaddr(a)), protocols: [] } }))
  }

  discover (peer: PeerId): void {
    ids.set(peer.toString(), peer)
    this.dispatchEvent(new CustomEvent('peer:discovery', { detail: { id: peer, multiaddrs: [] } }))
  }
}

const ids = new Map<string, PeerId>()
function peerIdOfString (id: string): PeerId {
  const peer = ids.get(id)
  if (peer === undefined) throw new Error(`unknown test peer ${id}`)
  return peer
}

async function newPeer (): Promise<PeerId> {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  ids.set(peer.toString(), peer)
  return peer
}


interface Harness {
  node: FakeNode
  book: PeerBook
  stored: Map<string, PeerRecord>
  members: Set<string>
  bus: ReturnType<typeof createBus<CoreEvents>>
}

async function harness (opts: { stored?: Map<string, PeerRecord>; members?: Set<string>; inWorkspace?: boolean; init?: PeerBookInit; reidentify?: (peer: string) => Promise<unknown> } = {}): Promise<Harness> {
  const node = new FakeNode(await newPeer())
  const stored = opts.stored ?? new Map<string, PeerRecord>()
  const members = opts.members ?? new Set<string>()
  const bus = createBus<CoreEvents>(createMemoryLogger())
  const store: Pick<Store, 'collection'> = { collection: <T>() => memoryCollection('peers', stored as Map<string, unknown> as Map<string, T>) }
  const book = await createPeerBook({
    node,
    store,
    log: createMemoryLogger(),
    emit: () => undefined,
    bus,
    isMember: (peer) => members.has(peer),
    inWorkspace: () => opts.inWorkspace ?? true,
    ...(opts.reidentify === undefined ? {} : { reidentify: opts.reidentify })
  }, { minBackoffMs: 1, maxBackoffMs: 5, upgradeIntervalMs: 0, ...opts.init })
  return { node, book, stored, members, bus }
}

/** Lets timers of a few milliseconds and pending store writes run. */
const settle = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

test('a stranger\'s identify is neither written down nor redialled, and libp2p forgets it on disconnect', async () => {
  const { node, book, stored } = await harness()
  book.start()
  const stranger = await newPeer()
  node.connect(stranger)
  node.identify(stranger, ['/ip4/203.0.113.7/tcp/1', '/dns4/victim.example/tcp/443'])
  await settle()
  node.disconnect(stranger)
  await settle()
  assert.equal(stored.size, 0)
  assert.deepEqual(node.dials, [])
  assert.deepEqual(node.forgotten, [stranger.toString()])
  assert.deepEqual(book.list(), [])
  book.stop()
})

test('a member is kept once it proved membership, with the addresses it announced, and redialled when it drops', async () => {
  const { node, book, stored, members, bus } = await harness()
  book.start()
  const member = await newPeer()
  members.add(member.toString())
  node.connect(member)
  node.identify(member, ['/ip4/10.0.0.5/tcp/4001'])
  await settle()
  assert.equal(stored.size, 0, 'not before it proved membership')
  await book.setProfile(peerIdOf(member), 'Bob', 'away')
  bus.emit('peer:ready', peerIdOf(member))
  await settle()
  const record = stored.get(member.toString())
  assert.equal(record?.kept, 'member')
  assert.deepEqual(record.addresses, ['/ip4/10.0.0.5/tcp/4001'])
  assert.equal(record.displayName, 'Bob', 'what it said before proving itself is kept with it')
  node.disconnect(member)
  await settle()
  assert.ok(node.dials.includes(member.toString()), 'redialled')
  book.stop()
})

test('in no workspace a connected peer is listed while ready but only peers dialled on purpose are kept', async () => {
  const { node, book, stored, bus } = await harness({ inWorkspace: false })
  book.start()
  const friend = await newPeer()
  const passer = await newPeer()
  await book.dial(`/ip4/10.0.0.7/tcp/4001/p2p/${friend.toString()}`).catch(() => undefined)
  node.connect(passer)
  bus.emit('peer:ready', peerIdOf(passer))
  await settle()
  assert.deepEqual([...stored.keys()], [friend.toString()])
  assert.equal(stored.get(friend.toString())?.kept, 'dialled')
  assert.deepEqual(book.list().map((p) => p.peerId).sort(), [friend.toString(), passer.toString()].sort())
  node.disconnect(passer)
  await settle()
  assert.deepEqual(book.list().map((p) => p.peerId), [friend.toString()])
  book.stop()
})

test('in no workspace a peer that came through the relay is tried directly at what it announced, while connected, never kept', async (t) => {
  const { node, book, stored, bus } = await harness({ inWorkspace: false, init: { upgradeIntervalMs: 10 } })
  t.after(() => { book.stop() })
  book.start()
  const relay = await newPeer()
  const office = await newPeer()
  node.connect(office, `/ip4/10.0.0.8/tcp/4001/p2p/${relay.toString()}/p2p-circuit`)
  node.identify(office, ['/ip4/10.79.2.2/tcp/4002', `/ip4/10.0.0.8/tcp/4001/p2p/${relay.toString()}/p2p-circuit`])
  bus.emit('peer:ready', peerIdOf(office))
  await settle()
  assert.ok(node.dials.includes(`/ip4/10.79.2.2/tcp/4002/p2p/${office.toString()}`), 'the direct address it announced was tried')
  assert.ok(!node.dials.some((d) => d.includes('p2p-circuit')), 'a relayed address is no upgrade')
  assert.equal(stored.size, 0)
  node.disconnect(office)
  const tried = node.dials.length
  await settle()
  assert.equal(node.dials.length, tried, 'gone: not dialled again')
})

test('a peer reached through the relay whose identify never came is asked again, and tried directly at what it then announces', async (t) => {
  const office = await newPeer()
  const asked: string[] = []
  const { node, book } = await harness({
    inWorkspace: false,
    init: { upgradeIntervalMs: 10 },
    // What libp2p's identify does when asked: the peer's answer arrives as an event.
    reidentify: (peer) => { asked.push(peer); node.identify(office, ['/ip4/10.79.2.2/tcp/4002']); return Promise.resolve() }
  })
  t.after(() => { book.stop() })
  book.start()
  const relay = await newPeer()
  node.connect(office, `/ip4/10.0.0.8/tcp/4001/p2p/${relay.toString()}/p2p-circuit`)
  await settle()
  assert.ok(asked.includes(peerIdOf(office)), 'asked again')
  assert.ok(node.dials.includes(`/ip4/10.79.2.2/tcp/4002/p2p/${office.toString()}`), 'and the direct address it announced was tried')
})

test('a peer found on the LAN is dialled once, not again soon, and not written down', async () => {
  const { node, book, stored } = await harness()
  book.start()
  const lan = await newPeer()
  node.discover(lan)
  node.discover(lan)
  await settle()
  assert.deepEqual(node.dials, [lan.toString()])
  assert.equal(stored.size, 0)
  book.stop()
})

test('records are capped: the peer seen longest ago makes room; addresses per record are capped too', async () => {
  const { node, book, stored, members, bus } = await harness({ init: { maxRecords: 3, maxAddresses: 4 } })
  const peers: PeerId[] = []
  for (let i = 0; i < 4; i++) {
    const p = await newPeer()
    peers.push(p)
    members.add(p.toString())
    node.connect(p)
    node.identify(p, Array.from({ length: 10 }, (_, k) => `/ip4/10.0.${i}.${k}/tcp/4001`))
    bus.emit('peer:ready', peerIdOf(p))
    await settle(5)
    node.disconnect(p)
    await settle(5)
  }
  book.stop()
  assert.equal(stored.size, 3)
  assert.ok(!stored.has(peers[0]?.toString() ?? ''), 'the oldest went')
  for (const r of stored.values()) assert.equal(r.addresses.length, 4)
})

test('on load, expired records and old records of strangers are dropped and never dialled', async () => {
  const now = Date.now()
  const fresh = await newPeer()
  const stale = await newPeer()
  const oldMember = await newPeer()
  const oldStranger = await newPeer()
  const stored = new Map<string, PeerRecord>([
    [fresh.toString(), { addresses: ['/ip4/10.0.0.1/tcp/1'], lastSeen: now - DAY, kept: 'member', keptAt: now - 2 * DAY }],
    [stale.toString(), { addresses: ['/ip4/10.0.0.2/tcp/1'], lastSeen: now - 31 * DAY, kept: 'dialled', keptAt: now - 40 * DAY }],
    // Written by an earlier version, which kept every peer identify reported.
    [oldMember.toString(), { addresses: ['/ip4/10.0.0.3/tcp/1'], lastSeen: now - DAY }],
    [oldStranger.toString(), { addresses: ['/ip4/203.0.113.9/tcp/1'], lastSeen: now - DAY }],
    ['not-a-peer-id', { addresses: [], lastSeen: now }]
  ])
  const { node, book } = await harness({ stored, members: new Set([fresh.toString(), oldMember.toString()]) })
  assert.deepEqual([...stored.keys()].sort(), [fresh.toString(), oldMember.toString()].sort())
  assert.equal(stored.get(oldMember.toString())?.kept, 'member')
  book.start()
  await settle()
  assert.deepEqual([...new Set(node.dials)].sort(), [fresh.toString(), oldMember.toString()].sort())
  book.stop()
})

test('in no workspace, old records are kept as dialled (nobody could prove anything), still subject to expiry', async () => {
  const now = Date.now()
  const friend = await newPeer()
  const gone = await newPeer()
  const stored = new Map<string, PeerRecord>([
    [friend.toString(), { addresses: ['/ip4/10.0.0.3/tcp/1'], lastSeen: now - DAY }],
    [gone.toString(), { addresses: ['/ip4/10.0.0.4/tcp/1'], lastSeen: now - 45 * DAY }]
  ])
  const { book } = await harness({ stored, inWorkspace: false })
  assert.deepEqual([...stored.keys()], [friend.toString()])
  assert.equal(stored.get(friend.toString())?.kept, 'dialled')
  book.stop()
})

test('a kept peer unreachable for longer than records last is let go: no more redials', async (t) => {
  let clock = Date.now()
  const member = await newPeer()
  const stored = new Map<string, PeerRecord>([[member.toString(), { addresses: ['/ip4/10.0.0.1/tcp/1'], lastSeen: clock, kept: 'member', keptAt: clock }]])
  const { node, book } = await harness({ stored, members: new Set([member.toString()]), init: { now: () => clock } })
  t.after(() => { book.stop() })
  node.connect(member)
  node.disconnect(member)
  await settle()
  assert.ok(node.dials.length > 0, 'redialled while it may come back')
  clock += 31 * DAY
  await settle()
  const dials = node.dials.length
  assert.equal(stored.size, 0)
  book.reconnectNow()
  await settle()
  assert.equal(node.dials.length, dials)
})

test('a member removed from the workspace is forgotten; a peer dialled on purpose stays', async () => {
  const { node, book, stored, members, bus } = await harness()
  const member = await newPeer()
  const relay = await newPeer()
  members.add(member.toString())
  node.connect(member)
  bus.emit('peer:ready', peerIdOf(member))
  await book.dial(`/ip4/10.0.0.8/tcp/4001/p2p/${relay.toString()}`).catch(() => undefined)
  await settle()
  assert.equal(stored.size, 2)
  members.delete(member.toString())
  bus.emit('membership:changed', { ws: parseWorkspaceId(`w${'0'.repeat(32)}`) })
  await settle()
  assert.deepEqual([...stored.keys()], [relay.toString()])
  book.stop()
})

test('the other side of a direct conversation is kept with its name; in a workspace only while it is a member', async () => {
  const conversation = (peer: PeerId): { id: ConversationId; peer: PeerIdString } => ({ id: parseConversationId(`dm:${'a'.repeat(32)}`), peer: peerIdOf(peer) })
  // In no workspace: Bob dialled in, gave his name, and wrote; Carol only connected.
  const alone = await harness({ inWorkspace: false })
  const [bob, carol] = await Promise.all([newPeer(), newPeer()])
  for (const p of [bob, carol]) { alone.node.connect(p); alone.bus.emit('peer:ready', peerIdOf(p)) }
  await alone.book.setProfile(peerIdOf(bob), 'Bob', 'online')
  alone.bus.emit('conversation:changed', conversation(bob))
  await settle()
  assert.deepEqual([...alone.stored].map(([id, r]) => [id, r.kept, r.displayName]), [[bob.toString(), 'conversation', 'Bob']])
  alone.book.stop()

  // In a workspace: a stranger's conversation (the removed member's, marked removed during its farewell) keeps nobody.
  const { node, book, stored, bus } = await harness()
  const removed = await newPeer()
  node.connect(removed)
  bus.emit('conversation:changed', conversation(removed))
  await settle()
  assert.equal(stored.size, 0)
  book.stop()

  // A conversation kept before the device joined a workspace ends unless its peer is a member there.
  const joined = await harness({ stored: new Map([[bob.toString(), { addresses: [], lastSeen: Date.now(), kept: 'conversation', keptAt: Date.now(), displayName: 'Bob' }], [carol.toString(), { addresses: [], lastSeen: Date.now(), kept: 'conversation', keptAt: Date.now(), displayName: 'Carol' }]]) })
  joined.members.add(carol.toString())
  joined.bus.emit('membership:changed', { ws: parseWorkspaceId(`w${'0'.repeat(32)}`) })
  await settle()
  assert.deepEqual([...joined.stored.keys()], [carol.toString()])
  joined.book.stop()
})

test('a peer dialled on purpose that proves nothing keeps only the address dialled, whatever identify says', async () => {
  const { node, book, stored } = await harness()
  const relay = await newPeer()
  await book.dial(`/ip4/10.0.0.8/tcp/4001/p2p/${relay.toString()}`).catch(() => undefined)
  node.connect(relay)
  node.identify(relay, ['/ip4/203.0.113.5/tcp/22', '/ip4/10.0.0.8/tcp/4001'])
  await settle()
  assert.deepEqual(stored.get(relay.toString())?.addresses, ['/ip4/10.0.0.8/tcp/4001'])
  book.stop()
})

test('what a dial keeps is the address dialled, without its /p2p part', async () => {
  const { book, stored } = await harness()
  const peer = await newPeer()
  await assert.rejects(book.dial(`/ip4/10.0.0.7/tcp/4001/p2p/${peer.toString()}`), (e: Error & { code?: string }) => e.code === 'peer-unreachable')
  assert.deepEqual(stored.get(peer.toString())?.addresses, ['/ip4/10.0.0.7/tcp/4001'])
  book.stop()
})

