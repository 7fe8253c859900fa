import '../net/node-shims.js'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { createBus } from '../bus.js'
import { EnclaveError } from '../errors.js'
import { parseCallId, parseConversationId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { waitFor } from '../wait-for.js'
import { askCall, CALL_PROTOCOL } from './call-protocol.js'
import { createCallService, type CallService } from './call-service.js'
import type { CallView, ConversationId, EventName, Events, PeerIdString } from '../api/contract.js'
import type { GroupAccess } from '../chat/chat-service.js'
import type { CoreEvents } from '../core-events.js'
import type { StreamHandler } from '../net/protocol-host.js'
import type { Connection, Stream } from '@libp2p/interface'

/** A conversation's MLS group as the devices see it: its members and epoch, and an exporter over both. */
interface FakeGroup { members: Set<PeerIdString>; epoch: number }

interface Device {
  id: PeerIdString
  calls: CallService
  events: Array<{ name: EventName; payload: unknown }>
  bus: ReturnType<typeof createBus<CoreEvents>>
  /** The conversations this device believes it is in (a hostile one may believe anything). */
  groups: Map<ConversationId, FakeGroup>
  /** Opens a call stream to another device, as this device. */
  dial(to: PeerIdString): Promise<Stream>
}

const handlers = new Map<PeerIdString, StreamHandler>()
const devices: Device[] = []
after(async () => { await Promise.all(devices.map((d) => d.calls.stop())) })

async function device(person: string, persons: Map<PeerIdString, string>, ringMs = 30_000): Promise<Device> {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() as PeerIdString
  persons.set(id, person)
  const events: Device['events'] = []
  const groups = new Map<ConversationId, FakeGroup>()
  const bus = createBus<CoreEvents>(createMemoryLogger())
  const dial = async (to: PeerIdString): Promise<Stream> => {
    const handler = handlers.get(to)
    if (handler === undefined) throw new EnclaveError('peer-unreachable', 'no such device')
    const [asker, server] = await streamPair()
    void handler(server, { remotePeer: peerIdFromString(id) } as unknown as Connection)
    return asker
  }
  const calls = await createCallService({
    protocols: {
      handleMembers: (_protocol, handler) => { handlers.set(id, handler); return Promise.resolve() },
      handleAnyone: () => Promise.resolve(),
      dial: (peer) => dial(peer),
      served: () => [CALL_PROTOCOL]
    },
    bus,
    emit: <E extends EventName>(name: E, payload: Events[E]) => { events.push({ name, payload }) },
    log: createMemoryLogger(),
    self: id,
    groupAccess: (conv): GroupAccess | null => {
      const g = groups.get(conv)
      if (g?.members.has(id) !== true) return null
      return {
        epoch: g.epoch,
        members: [...g.members].filter((m) => m !== id),
        workspaceId: null,
        peerId: null,
        exportSecret: (label, context) => Promise.resolve(new Uint8Array(createHmac('sha256', `${conv}/${g.epoch}`).update(label).update(context).digest()))
      }
    },
    prepareGroup: () => Promise.resolve(),
    isSibling: (other) => other !== id && persons.get(other) === person,
    ringMs
  })
  const d: Device = { id, calls, events, bus, groups, dial }
  devices.push(d)
  return d
}

const viewsOf = (d: Device, callId: string): CallView[] => d.events.filter((e) => e.name === 'calls.changed' && (e.payload as CallView).id === callId).map((e) => e.payload as CallView)
const lastView = (d: Device, callId: string): CallView | undefined => viewsOf(d, callId).at(-1)
const stateAt = (d: Device, callId: string, state: CallView['state']): Promise<CallView> => waitFor(`${state} at a device`, () => { const v = lastView(d, callId); return v?.state === state ? v : undefined }, { timeoutMs: 5_000, intervalMs: 5 })

/** Everyone in `members` holds the conversation with that group. */
function share(conv: ConversationId, members: Device[], epoch = 1): FakeGroup {
  const group: FakeGroup = { members: new Set(members.map((m) => m.id)), epoch }
  for (const m of members) m.groups.set(conv, group)
  return group
}

const conv = (n: number): ConversationId => parseConversationId(`dm:${n.toString(16).padStart(32, '0')}`)

test('a call rings the other person\'s devices; one answers, the other stops ringing; both hold the same frame key; signals pass only between participants', async () => {
  const persons = new Map<PeerIdString, string>()
  const [alice, bob, bobLaptop] = [await device('alice', persons), await device('bob', persons), await device('bob', persons)]
  const dm = conv(1)
  share(dm, [alice, bob, bobLaptop])
  const placed = await alice.calls.place(dm, true)
  assert.deepEqual([placed.state, placed.participants.map((p) => p.device)], ['joined', [alice.id]])
  await stateAt(bob, placed.id, 'ringing')
  await stateAt(bobLaptop, placed.id, 'ringing')

  const joined = await bob.calls.join(placed.id)
  assert.deepEqual(joined.participants.map((p) => p.device).sort(), [alice.id, bob.id].sort())
  await stateAt(bobLaptop, placed.id, 'elsewhere')
  await waitFor('bob in alice\'s call', () => lastView(alice, placed.id)?.participants.some((p) => p.device === bob.id))

  const [keyA, keyB] = await Promise.all([alice.calls.key(placed.id), bob.calls.key(placed.id)])
  assert.equal(keyA.secret, keyB.secret)
  await assert.rejects(bobLaptop.calls.key(placed.id), (e: unknown) => e instanceof EnclaveError && e.code === 'bad-request', 'a device not in the call gets no key')

  await alice.calls.signal(placed.id, bob.id, { kind: 'offer', sdp: 'v=0 offer' })
  const signal = await waitFor('the offer at bob', () => bob.events.find((e) => e.name === 'calls.signal'))
  assert.deepEqual(signal.payload, { callId: placed.id, from: alice.id, signal: { kind: 'offer', sdp: 'v=0 offer' } })
  await assert.rejects(alice.calls.signal(placed.id, bobLaptop.id, { kind: 'offer', sdp: 'v=0' }), (e: unknown) => e instanceof EnclaveError && e.code === 'bad-request')

  bob.calls.media(placed.id, true, false)
  await waitFor('bob muted at alice', () => lastView(alice, placed.id)?.participants.find((p) => p.device === bob.id)?.muted === true)

  bob.calls.leave(placed.id)
  await stateAt(alice, placed.id, 'ended')
})

test('a device outside the conversation can neither ring nor signal; a busy member is told busy; an unanswered call is missed', async () => {
  const persons = new Map<PeerIdString, string>()
  const [alice, bob, carol] = [await device('alice', persons), await device('bob', persons), await device('carol', persons)]
  const dm = conv(2)
  share(dm, [alice, bob])
  // Carol believes she is in the conversation; Alice's and Bob's groups do not hold her.
  carol.groups.set(dm, { members: new Set([alice.id, bob.id, carol.id]), epoch: 1 })
  const forged = await carol.calls.place(dm, false)
  await assert.rejects(askCall(await carol.dial(bob.id), { t: 'sdp', call: forged.id, conv: dm, kind: 'offer', sdp: 'v=0' }), (e: unknown) => e instanceof EnclaveError && e.code === 'not-member')
  // The witness: a call Alice places after Carol's rings, Carol's never did.
  const real = await alice.calls.place(dm, false)
  await stateAt(bob, real.id, 'ringing')
  assert.equal(viewsOf(bob, forged.id).length, 0)
  assert.equal(bob.events.some((e) => e.name === 'calls.signal'), false)
  carol.calls.leave(forged.id)

  // A member calling again and again rings once: each newer call replaces the older, and
  // another member's call still rings beside it.
  const pest = await device('pest', persons)
  const pestered = conv(6)
  share(pestered, [bob, pest])
  const spam = Array.from({ length: 6 }, (_, i) => `${i + 1}`.padStart(32, 'e'))
  for (const call of spam) await askCall(await pest.dial(bob.id), { t: 'ring', call: parseCallId(call), conv: pestered, video: false, startedAt: Date.now(), participants: [] })
  await stateAt(bob, spam.at(-1) ?? '', 'ringing')
  assert.ok(spam.slice(0, -1).every((c) => lastView(bob, c)?.state === 'missed'), 'each newer ring replaced the one before')
  assert.deepEqual(bob.calls.list().filter((c) => c.state === 'ringing').map((c) => c.id).sort(), [real.id, spam.at(-1)].sort())

  // Bob is in Alice's call; Dave's call in another conversation finds him busy.
  await bob.calls.join(real.id)
  const dave = await device('dave', persons)
  const other = conv(3)
  share(other, [bob, dave])
  const second = await dave.calls.place(other, false)
  await stateAt(bob, second.id, 'missed')
  await waitFor('busy at dave', () => lastView(dave, second.id)?.busy.includes(bob.id))
  dave.calls.leave(second.id)
  bob.calls.leave(real.id)
  await stateAt(alice, real.id, 'ended')

  // Nobody answers: the call rings out (300 ms on Erin's device) and is missed.
  const erin = await device('erin', persons, 300)
  const withErin = conv(5)
  share(withErin, [alice, erin])
  const unanswered = await alice.calls.place(withErin, true)
  await stateAt(erin, unanswered.id, 'ringing')
  await stateAt(erin, unanswered.id, 'missed')
  alice.calls.leave(unanswered.id)
  // The caller hangs up first: it stops ringing at once (Bob's device would ring for 30 s).
  const cancelled = await alice.calls.place(dm, false)
  await stateAt(bob, cancelled.id, 'ringing')
  alice.calls.leave(cancelled.id)
  await stateAt(bob, cancelled.id, 'missed')
})

test('a new epoch brings a new frame key; a device taken out of the conversation drops out of the call', async () => {
  const persons = new Map<PeerIdString, string>()
  const [alice, bob, carol] = [await device('alice', persons), await device('bob', persons), await device('carol', persons)]
  const ch = parseConversationId(`ch:${'4'.repeat(32)}`)
  const group = share(ch, [alice, bob, carol])
  const placed = await alice.calls.place(ch, true)
  await stateAt(bob, placed.id, 'ringing')
  await stateAt(carol, placed.id, 'ringing')
  await bob.calls.join(placed.id)
  await carol.calls.join(placed.id)
  await waitFor('three in the call at alice', () => lastView(alice, placed.id)?.participants.length === 3)
  // Bob and Carol each know the other is in: Bob answered while Carol still rang.
  await waitFor('carol in bob\'s call', () => lastView(bob, placed.id)?.participants.some((p) => p.device === carol.id))
  await waitFor('bob in carol\'s call', () => lastView(carol, placed.id)?.participants.some((p) => p.device === bob.id))
  const before = await alice.calls.key(placed.id)
  await bob.calls.key(placed.id)

  // Carol is removed: the group moves to epoch 2 without her.
  group.members.delete(carol.id)
  group.epoch = 2
  carol.groups.delete(ch)
  for (const d of [alice, bob, carol]) d.bus.emit('conversation:changed', { id: ch, peer: null })
  const renewed = await waitFor('the new key at bob', () => bob.events.find((e) => e.name === 'calls.keyChanged')?.payload as Events['calls.keyChanged'] | undefined)
  assert.equal(renewed.epoch, 2)
  assert.notEqual(renewed.secret, before.secret)
  await waitFor('carol out of alice\'s call', () => lastView(alice, placed.id)?.participants.every((p) => p.device !== carol.id))
  await stateAt(carol, placed.id, 'ended')
  await assert.rejects(askCall(await carol.dial(alice.id), { t: 'join', call: placed.id, conv: ch, video: true }), (e: unknown) => e instanceof EnclaveError && e.code === 'not-member')
})
