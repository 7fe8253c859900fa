import assert from 'node:assert/strict'
import { test } from 'node:test'
import { onlineCount, peopleOf, type Person, type Viewer } from './people-list.js'
import type { MemberView, PeerIdString, PeerPath, PeerView, Presence, UserId } from '../../src/api/contract'

// Views as the core sends them; ids are made here the way the API hands them over (already parsed).
const device = (s: string): PeerIdString => `12D3KooW${s}` as PeerIdString
const user = (s: string): UserId => `user-${s}` as UserId

function member(name: string, devices: string[], extra: Partial<MemberView> = {}): MemberView {
  return {
    userId: user(name.toLowerCase()), role: 'member', status: 'active', name, title: null, email: null, phone: null, avatar: null,
    departments: [], devices: devices.map(device), online: false, presence: 'offline', ...extra
  }
}

function peer(id: string, state: { connected: boolean; presence?: Presence; path?: PeerPath; lastSeen?: number | null; name?: string }): [string, PeerView] {
  const view: PeerView = {
    peerId: device(id),
    displayName: state.name ?? null,
    connected: state.connected,
    presence: state.connected ? state.presence ?? 'online' : 'offline',
    addresses: [],
    lastSeen: state.lastSeen ?? null,
    path: state.connected ? state.path ?? 'direct' : 'offline',
    via: null
  }
  return [view.peerId, view]
}

/** The one person a list holds. */
function only(people: Person[]): Person {
  assert.equal(people.length, 1)
  const [person] = people
  if (person === undefined) throw new Error('no person')
  return person
}

const alice: Viewer = { userId: user('alice'), peerId: device('alice1'), presence: 'online' }

test('in a workspace the people are its members, not every device this one met', () => {
  const members = [member('Alice', ['alice1']), member('Bob', ['bob1'])]
  // Mallory's device is connected (a loose peer, a stranger on the LAN) but is no member.
  const devices = new Map([peer('bob1', { connected: true }), peer('mallory', { connected: true, name: 'Mallory' })])
  const people = peopleOf(members, devices, alice)
  assert.deepEqual(people.map((p) => p.name), ['Bob'])
})

test('the viewer is not listed, and neither are pending members', () => {
  const members = [member('Alice', ['alice1']), member('Bob', ['bob1']), member('Dave', ['dave1'], { status: 'pending' })]
  const people = peopleOf(members, new Map([peer('dave1', { connected: true })]), alice)
  assert.deepEqual(people.map((p) => p.name), ['Bob'])
})

test('a user with two devices is one person with the best presence of them', () => {
  const members = [member('Bob', ['bob-laptop', 'bob-desktop'])]
  const devices = new Map([
    peer('bob-laptop', { connected: true, presence: 'away', path: 'relayed', lastSeen: 100 }),
    peer('bob-desktop', { connected: true, presence: 'online', path: 'direct', lastSeen: 200 })
  ])
  const people = peopleOf(members, devices, alice)
  const bob = only(people)
  assert.equal(bob.presence, 'online')
  assert.equal(bob.path, 'direct')
  assert.equal(bob.lastSeen, 200)
  // A DM goes to the device that shows the best presence.
  assert.equal(bob.device, device('bob-desktop'))
  assert.equal(onlineCount(people), 1)
})

test('a device that is not connected counts as offline whatever it chose before', () => {
  const members = [member('Bob', ['bob-laptop', 'bob-desktop'])]
  const devices = new Map([
    peer('bob-laptop', { connected: false, lastSeen: 500 }),
    peer('bob-desktop', { connected: true, presence: 'dnd', path: 'relayed' })
  ])
  const bob = only(peopleOf(members, devices, alice))
  assert.equal(bob.presence, 'dnd')
  assert.equal(bob.path, 'relayed')
  assert.equal(bob.device, device('bob-desktop'))

  const gone = only(peopleOf(members, new Map([peer('bob-laptop', { connected: false, lastSeen: 500 })]), alice))
  assert.equal(gone.presence, 'offline')
  assert.equal(gone.path, 'offline')
  assert.equal(gone.lastSeen, 500)
  // Nobody reachable: the DM still has somewhere to wait for.
  assert.equal(gone.device, device('bob-laptop'))
})

test('a member never seen is listed offline, with their first device to write to', () => {
  const carol = only(peopleOf([member('Carol', ['carol1'])], new Map(), alice))
  assert.equal(carol.presence, 'offline')
  assert.equal(carol.lastSeen, null)
  assert.equal(carol.device, device('carol1'))
})

test('the viewer\'s own other device is not a way to reach a colleague', () => {
  // Alice's second laptop is hers; a shared device id (never expected) still does not count twice.
  const members = [member('Alice', ['alice1', 'alice2']), member('Bob', ['bob1'])]
  const people = peopleOf(members, new Map([peer('alice2', { connected: true })]), alice)
  assert.deepEqual(people.map((p) => p.name), ['Bob'])
  assert.equal(onlineCount(people), 0)
})

test('reachable people come first, then by name (Chinese names by pinyin)', () => {
  const members = [member('Zoe', ['z']), member('张伟', ['zw']), member('Bob', ['b']), member('安娜', ['an']), member('Carol', ['c'])]
  const devices = new Map([peer('c', { connected: true, presence: 'away' }), peer('z', { connected: true })])
  const names = peopleOf(members, devices, alice).map((p) => p.name)
  assert.deepEqual(names.slice(0, 2), ['Zoe', 'Carol'])
  assert.deepEqual(new Set(names.slice(2)), new Set(['Bob', '安娜', '张伟']))
  assert.ok(names.indexOf('安娜') < names.indexOf('张伟'))
})

test('one row per user even if the member list names a user twice', () => {
  const bob = member('Bob', ['bob1'])
  assert.equal(peopleOf([bob, { ...bob }], new Map(), alice).length, 1)
})
