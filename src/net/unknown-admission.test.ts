import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createUnknownAdmission } from './unknown-admission.js'

const none = { all: 0, fromHost: 0 }

test('an address gets as many handshakes as it may have unknown peers, then one now and then', () => {
  let t = 0
  const admission = createUnknownAdmission({ perAddress: 2, total: 10, trickleMs: 250, now: () => t })
  const [a, b, c, d] = [{}, {}, {}, {}]
  assert.ok(admission.admit('1.2.3.4', a, none))
  assert.ok(admission.admit('1.2.3.4', b, none))
  assert.ok(admission.admit('1.2.3.4', c, none), 'one beyond the limit: a member may be among them')
  assert.equal(admission.admit('1.2.3.4', d, none), false, 'the rest wait')
  assert.ok(admission.admit('5.6.7.8', {}, none), 'another address is not held back')
  t += 250
  assert.ok(admission.admit('1.2.3.4', d, none), 'the next one a moment later')
  assert.equal(admission.admit('1.2.3.4', {}, none), false)
})

test('finished handshakes free their place; connected unknown peers keep theirs', () => {
  let t = 0
  const admission = createUnknownAdmission({ perAddress: 2, total: 10, trickleMs: 1000, now: () => t })
  const [a, b] = [{}, {}]
  assert.ok(admission.admit('h', a, none))
  assert.ok(admission.admit('h', b, none))
  admission.settled(a)
  admission.settled(a)
  assert.equal(admission.pending(), 1, 'settled once, however often it is told')
  assert.ok(admission.admit('h', {}, none))
  t += 1000
  // Two strangers from h are connected now: only the trickle is left for this address.
  admission.settled(b)
  assert.ok(admission.admit('h', {}, { all: 2, fromHost: 2 }))
  assert.equal(admission.admit('h', {}, { all: 2, fromHost: 2 }), false)
})

test('all addresses together are limited too, and a handshake whose end was missed stops counting', () => {
  let t = 0
  const admission = createUnknownAdmission({ perAddress: 100, total: 3, trickleMs: 250, staleMs: 10_000, now: () => t })
  for (let i = 0; i < 3; i++) assert.ok(admission.admit(`h${i}`, {}, none))
  assert.ok(admission.admit('x', {}, none), 'the one beyond')
  assert.equal(admission.admit('y', {}, none), false)
  t += 10_001
  assert.ok(admission.admit('y', {}, none), 'stale handshakes no longer count')
  assert.equal(admission.pending(), 1)
})

test('a closed stranger connection keeps its address\'s place until its grace would have ended', () => {
  let t = 0
  const admission = createUnknownAdmission({ perAddress: 1, total: 10, trickleMs: 1000, now: () => t })
  admission.linger('h', 5000)
  admission.linger('h', 0)
  assert.equal(admission.pending(), 1, 'a place already expired is not kept')
  assert.ok(admission.admit('h', {}, none), 'the one beyond')
  t = 1000
  assert.ok(admission.admit('h', {}, none), 'the trickle')
  assert.equal(admission.admit('h', {}, none), false)
  t = 5000
  admission.settled({})
  assert.ok(admission.admit('other', {}, none))
})
