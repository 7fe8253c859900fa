import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createBus } from '../bus.js'
import { createMemoryLogger } from '../logger.js'
import { openStore, type Store } from '../store/store.js'
import { waitFor } from '../wait-for.js'
import { createMemberRoutes, type MemberRoutes } from './member-routes.js'
import { sealRoute } from './route-record.js'
import { ROUTES_PROTOCOL, requestRoutes } from './routes-protocol.js'
import type { CoreEvents } from '../core-events.js'
import type { Connection, PrivateKey, Stream, StreamHandler } from '@libp2p/interface'
import type { WorkspaceId } from '../identity/workspace-key.js'

/*
 * Devices in one process: each has its own routes service and store, workspaces are sets of
 * device ids, and a dial is a stream pair to the other device's handler. Which workspaces a
 * device believes another is in is the same everywhere here (the log is in sync).
 */
const dir = await mkdtemp(join(tmpdir(), 'enclave-routes-'))
const stores: Store[] = []
after(async () => { for (const s of stores) await s.close(); await rm(dir, { recursive: true, force: true }) })

interface Device { id: string; key: PrivateKey; routes: MemberRoutes; bus: ReturnType<typeof createBus<CoreEvents>>; connected: Set<string>; port: number; patched: Map<string, string[]> }
const devices = new Map<string, Device>()
const handlers = new Map<string, StreamHandler>()
const workspaces = new Map<string, Set<string>>()
const sharedWith = (a: string, b: string): WorkspaceId[] => [...workspaces].filter(([, m]) => m.has(a) && m.has(b)).map(([ws]) => ws as WorkspaceId)
/** Members a device has not heard of yet (the op admitting them has not reached it). */
const unaware = new Map<string, Set<string>>()

async function dialFrom(from: string, to: string): Promise<Stream> {
  const handler = handlers.get(to)
  if (handler === undefined) throw new Error('unreachable')
  const [a, b] = await streamPair()
  void handler(b, { remotePeer: peerIdFromString(from) } as unknown as Connection)
  return a
}

async function device(name: string, port: number): Promise<Device> {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  const store = await openStore({ path: join(dir, name), log: createMemoryLogger() })
  stores.push(store)
  const log = createMemoryLogger()
  const bus = createBus<CoreEvents>(log)
  const connected = new Set<string>()
  const patched = new Map<string, string[]>()
  const d = { id, key, bus, connected, port, patched } as Omit<Device, 'routes'> as Device
  d.routes = await createMemberRoutes({
    node: {
      getMultiaddrs: () => [multiaddr(`/ip4/127.0.0.1/tcp/${d.port}`)],
      getPeers: () => [...connected].map((p) => peerIdFromString(p)),
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      peerStore: {
        patch: (peer, data) => { patched.set(peer.toString(), (data.multiaddrs ?? []).map(String)); return Promise.resolve(undefined as never) },
        merge: () => Promise.resolve(undefined as never)
      }
    },
    privateKey: key,
    store,
    access: { sharedWith: (other) => unaware.get(id)?.has(other) === true ? [] : sharedWith(id, other) },
    protocols: {
      handleMembers: (protocol, handler) => { assert.equal(protocol, ROUTES_PROTOCOL); handlers.set(id, handler); return Promise.resolve() },
      dial: async (peer) => dialFrom(id, peer)
    },
    bus,
    log,
    self: id as never
  }, { gossipMs: 20 })
  devices.set(name, d)
  return d
}

function connect(a: Device, b: Device): void {
  a.connected.add(b.id)
  b.connected.add(a.id)
  a.bus.emit('peer:ready', b.id as never)
  b.bus.emit('peer:ready', a.id as never)
}

const [alice, bob, carol, olga] = await Promise.all([device('alice', 4001), device('bob', 4002), device('carol', 4003), device('olga', 4004)])
workspaces.set('acme', new Set([alice.id, bob.id, carol.id]))
workspaces.set('globex', new Set([carol.id, olga.id]))
await Promise.all([alice, bob, carol, olga].map((d) => d.routes.start()))
after(() => { for (const d of devices.values()) d.routes.stop() })

test('a member who met only one colleague learns the routes of the others it shares a workspace with, and no one else', async () => {
  connect(alice, carol)
  connect(carol, olga)
  await waitFor('alice to hold carol\'s route', () => alice.routes.get(carol.id as never))
  connect(bob, alice)
  // The route is held first, then stored, then given to libp2p: the last step is what a dial uses.
  await waitFor('bob to learn carol\'s route from alice', () => bob.patched.get(carol.id))
  assert.deepEqual(bob.patched.get(carol.id), ['/ip4/127.0.0.1/tcp/4003'])
  assert.ok(bob.routes.get(carol.id as never) !== undefined)
  // Olga shares Globex with Carol only: Carol keeps her route but never tells Acme about it.
  await waitFor('carol to hold olga\'s route', () => carol.routes.get(olga.id as never))
  const fromCarol = await requestRoutes(await dialFrom(bob.id, carol.id), { give: [], ask: { known: [], only: null } })
  assert.ok(fromCarol.routes.length >= 1)
  assert.equal(alice.routes.get(olga.id as never), undefined)
  assert.equal(bob.routes.get(olga.id as never), undefined)
})

test('a route given by a member for a device outside every shared workspace is not kept', async () => {
  const stranger = await generateKeyPair('Ed25519')
  const strangerId = peerIdFromPrivateKey(stranger).toString()
  const route = await sealRoute(stranger, [multiaddr('/ip4/127.0.0.1/tcp/9999')], Date.now())
  await requestRoutes(await dialFrom(bob.id, alice.id), { give: [route.bytes], ask: null })
  assert.equal(alice.routes.get(strangerId as never), undefined)
  assert.equal(alice.patched.has(strangerId), false)
})

test('a colleague who moved is found again through news, and a stale route never replaces a newer one', async () => {
  const before = bob.routes.get(carol.id as never)?.seq ?? 0
  carol.port = 4103
  // What a change of listening addresses does in a node (self:peer:update), done by hand here.
  const moved = await sealRoute(carol.key, [multiaddr('/ip4/127.0.0.1/tcp/4103')], Date.now())
  await requestRoutes(await dialFrom(carol.id, alice.id), { give: [moved.bytes], ask: null })
  await waitFor('bob to hear carol moved, passed on by alice', () => (bob.routes.get(carol.id as never)?.seq ?? 0) > before && bob.patched.get(carol.id)?.[0] === '/ip4/127.0.0.1/tcp/4103')
  const stale = await sealRoute(carol.key, [multiaddr('/ip4/127.0.0.1/tcp/4003')], before)
  await requestRoutes(await dialFrom(alice.id, bob.id), { give: [stale.bytes], ask: null })
  assert.deepEqual(bob.patched.get(carol.id), ['/ip4/127.0.0.1/tcp/4103'])
})

test('a device that signs new routes without pause has only a few a minute taken', async () => {
  const start = bob.routes.get(alice.id as never)?.seq ?? Date.now()
  let taken = 0
  for (let i = 1; i <= 20; i++) {
    const route = await sealRoute(alice.key, [multiaddr(`/ip4/127.0.0.1/tcp/${6000 + i}`)], start + i)
    await requestRoutes(await dialFrom(alice.id, bob.id), { give: [route.bytes], ask: null })
    if (bob.routes.get(alice.id as never)?.seq === start + i) taken++
  }
  assert.ok(taken > 0 && taken <= 10, `taken ${taken}`)
})

test('findPeer asks connected colleagues about a member it holds no route to', async () => {
  const dave = await device('dave', 4005)
  workspaces.get('acme')?.add(dave.id)
  await dave.routes.start()
  dave.connected.add(alice.id)
  alice.connected.add(dave.id)
  const found = await dave.routes.findPeer(peerIdFromString(bob.id))
  assert.equal(found.id.toString(), bob.id)
  assert.ok(found.multiaddrs.length > 0)
  await assert.rejects(dave.routes.findPeer(peerIdFromString(olga.id)), { code: 'not-found' })
})

test('a newcomer\'s route that arrived before its membership did is asked for again once the membership arrives', async () => {
  const erin = await device('erin', 4006)
  workspaces.get('acme')?.add(erin.id)
  unaware.set(alice.id, new Set([erin.id]))
  await erin.routes.start()
  connect(erin, bob)
  await waitFor('bob to hold erin\'s route', () => bob.routes.get(erin.id as never))
  // Witness that the news went round: alice hears bob's next route, passed on after erin's.
  const later = await sealRoute(bob.key, [multiaddr('/ip4/127.0.0.1/tcp/4202')], Date.now())
  await requestRoutes(await dialFrom(bob.id, carol.id), { give: [later.bytes], ask: null })
  await waitFor('alice to hear of bob\'s new route', () => alice.routes.get(bob.id as never)?.seq === later.seq)
  assert.equal(alice.routes.get(erin.id as never), undefined, 'not kept while erin was unknown here')
  // The op admitting erin reaches alice: she asks her colleagues, who give erin's route.
  unaware.delete(alice.id)
  alice.bus.emit('membership:changed', { ws: 'acme' } as never)
  await waitFor('alice to give libp2p erin\'s route', () => alice.patched.get(erin.id))
  assert.deepEqual(alice.patched.get(erin.id), ['/ip4/127.0.0.1/tcp/4006'])
})
