import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHybridClock, hlcToMs, orderKey } from './hybrid-clock.js'

test('never runs backwards, even when the wall clock does', () => {
  let wall = 1_000_000
  const clock = createHybridClock(() => wall)
  const a = clock.now()
  wall -= 5_000
  const b = clock.now()
  assert.ok(b > a)
})

test('a timestamp taken after observing a peer sorts after the peer\'s', () => {
  const clock = createHybridClock(() => 1_000_000)
  const remote = (1_000_000 + 60_000) * 1000
  clock.observe(remote)
  assert.ok(clock.now() > remote)
})

test('ignores a peer clock more than a day ahead', () => {
  const clock = createHybridClock(() => 1_000_000)
  clock.observe((1_000_000 + 2 * 86_400_000) * 1000)
  assert.equal(hlcToMs(clock.now()), 1_000_000)
})

test('order keys sort as their timestamps do', () => {
  const keys = [orderKey(99_000, 'b', 1), orderKey(1_000_000, 'a', 12), orderKey(1_000_000, 'a', 2)]
  assert.deepEqual([...keys].sort(), [keys[0], keys[2], keys[1]])
})
