import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createInboundBudgets, DEFAULT_LIMITS } from './inbound-budget.js'

test('a stranger gets a few streams; all strangers together not many more', () => {
  const budgets = createInboundBudgets({ stranger: { streams: 2, bytes: 1024 }, strangers: { streams: 3, bytes: 4096 } })
  const a = [budgets.open('a', 'stranger'), budgets.open('a', 'stranger')]
  assert.ok(a.every((g) => g !== null))
  assert.equal(budgets.open('a', 'stranger'), null, 'its own limit')
  assert.ok(budgets.open('b', 'stranger') !== null)
  assert.equal(budgets.open('c', 'stranger'), null, 'the strangers\' shared limit')
  assert.ok(budgets.open('m', 'member') !== null, 'members are not held back by strangers')
  a[0]?.end()
  a[0]?.end()
  assert.ok(budgets.open('c', 'stranger') !== null, 'a slot given back (once) is free again')
})

test('bytes fit the peer\'s budget and the shared one, and come back when released', () => {
  const budgets = createInboundBudgets({ member: { streams: 8, bytes: 100 }, members: { streams: 100, bytes: 150 } })
  const x = budgets.open('x', 'member')
  const y = budgets.open('y', 'member')
  assert.ok(x !== null && y !== null)
  assert.ok(x.bytes.reserve(100))
  assert.equal(x.bytes.reserve(1), false, 'x is full')
  assert.equal(y.bytes.reserve(60), false, 'all members together are full')
  assert.ok(y.bytes.reserve(50))
  x.bytes.release(100)
  assert.ok(y.bytes.reserve(50))
  assert.deepEqual(budgets.held('y'), { streams: 1, bytes: 100 })
})

test('a peer that holds nothing leaves nothing behind (throwaway ids cost no memory)', () => {
  const budgets = createInboundBudgets()
  for (let i = 0; i < 1000; i++) {
    const g = budgets.open(`id${i}`, 'stranger')
    assert.ok(g?.bytes.reserve(100))
    g?.bytes.release(100)
    g?.end()
  }
  assert.deepEqual(budgets.held('id1'), { streams: 0, bytes: 0 })
  assert.ok(budgets.open('late', 'stranger') !== null)
})

test('the defaults: one whole doc frame per member at a time, a few KiB per stranger', () => {
  const budgets = createInboundBudgets()
  const member = budgets.open('m', 'member')
  assert.ok(member !== null && member.bytes.reserve(48 * 1024 * 1024))
  assert.equal(member.bytes.reserve(48 * 1024 * 1024), false)
  const stranger = budgets.open('s', 'stranger')
  assert.equal(stranger?.bytes.reserve(DEFAULT_LIMITS.stranger.bytes + 1), false)
})
