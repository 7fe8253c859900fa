import assert from 'node:assert/strict'
import { test } from 'node:test'
import { watchNetwork, type NetworkChange } from './network-watch.js'

test('a changed address list is reported once', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] })
  let addresses = ['10.0.0.2']
  const seen: NetworkChange[] = []
  const watch = watchNetwork((why) => seen.push(why), { intervalMs: 1000, addresses: () => addresses })
  t.mock.timers.tick(1000)
  assert.deepEqual(seen, [], 'nothing changed')
  addresses = ['10.0.0.7']
  t.mock.timers.tick(1000)
  t.mock.timers.tick(1000)
  assert.deepEqual(seen, ['addresses'])
  watch.stop()
})

test('a tick far later than due is a wake from sleep', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] })
  const seen: NetworkChange[] = []
  const watch = watchNetwork((why) => seen.push(why), { intervalMs: 1000, wakeSlackMs: 5000, addresses: () => ['10.0.0.2'] })
  t.mock.timers.tick(1000)
  // The process was frozen for a minute: the clock moved, the timer did not run.
  t.mock.timers.setTime(Date.now() + 60_000)
  t.mock.timers.tick(1000)
  assert.deepEqual(seen, ['wake'])
  watch.stop()
})
