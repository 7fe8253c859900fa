import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parsePeerId } from '../ids.js'
import { counted, GAVE_UP, newReceipts, noteAck, noteGaveUp, recipientsOf, rewait, stateOf, summarise, unacknowledged } from './receipts.js'
import type { PeerIdString } from '../api/contract.js'

const device = (c: string): PeerIdString => parsePeerId(`12D3KooW${c.repeat(44)}`)
const [self, bob, carol, dave, stranger] = ['A', 'B', 'C', 'D', 'E'].map(device) as [PeerIdString, PeerIdString, PeerIdString, PeerIdString, PeerIdString]
const members = [self, bob, carol, dave]

test('a message goes to every other device of the conversation once, all waiting', () => {
  const r = newReceipts([self, bob, carol, dave, bob], self)
  assert.deepEqual(r.to, [bob, carol, dave])
  assert.deepEqual(summarise(r, members), { to: 0, of: 3, waiting: [bob, carol, dave], failed: 0, mailbox: false })
  assert.equal(stateOf(summarise(r, members)), 'pending')
})

test('an ack counts once, only from a device the message was sent to', () => {
  const r = newReceipts(members, self)
  assert.equal(noteAck(r, stranger, 1_000), false, 'a device it was not sent to')
  assert.equal(noteAck(r, self, 1_000), false, 'this device itself')
  assert.equal(noteAck(r, bob, 1_000), true)
  assert.equal(noteAck(r, bob, 2_000), false, 'a repeated ack')
  assert.deepEqual(recipientsOf(r, members)[0], { device: bob, state: 'delivered', at: 1_000 }, 'the first ack\'s time stays')
  const s = summarise(r, members)
  assert.deepEqual([s.to, s.of, s.waiting], [1, 3, [carol, dave]])
  assert.equal(stateOf(s), 'sent')
  noteAck(r, carol, 3_000)
  noteAck(r, dave, 4_000)
  assert.equal(stateOf(summarise(r, members)), 'delivered')
})

test('a device removed before it stored the message stops being counted; one that stored it stays', () => {
  const r = newReceipts(members, self)
  noteAck(r, bob, 1_000)
  noteAck(r, carol, 1_500)
  const withoutDave = [self, bob, carol]
  assert.deepEqual(summarise(r, withoutDave), { to: 2, of: 2, waiting: [], failed: 0, mailbox: false })
  assert.equal(stateOf(summarise(r, withoutDave)), 'delivered')
  const withoutCarol = [self, bob, dave]
  assert.deepEqual(counted(r, withoutCarol).map((c) => c.device), [bob, carol, dave], 'carol had it before she left')
  assert.deepEqual(unacknowledged(r, withoutDave), [], 'a retry goes to nobody removed')
})

test('a copy that expired makes the message failed until a retry; a mailbox copy makes it sent', () => {
  const r = newReceipts([self, bob, carol], self)
  assert.equal(noteGaveUp(r, bob), true)
  noteAck(r, carol, 1_000)
  assert.equal(noteGaveUp(r, carol), false, 'an ack already in wins')
  assert.equal(stateOf(summarise(r, members)), 'failed')
  assert.deepEqual(recipientsOf(r, members).map((x) => x.state), ['failed', 'delivered'])
  assert.deepEqual(unacknowledged(r, members), [bob])
  rewait(r)
  assert.deepEqual(r.at, [0, 1_000])
  assert.equal(r.at.includes(GAVE_UP), false)
  assert.equal(stateOf(summarise(r, members)), 'sent')

  const boxed = newReceipts([self, bob], self)
  boxed.boxed = true
  assert.equal(stateOf(summarise(boxed, members)), 'sent', 'safe at a mailbox, not with bob yet')
})

test('a message with nobody to send to is delivered', () => {
  assert.equal(stateOf(summarise(newReceipts([self], self), [self])), 'delivered')
})
