import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryLogger } from '../logger.js'
import { createLifecycle } from './lifecycle.js'

test('parts start in the order added and stop in reverse, once, even when one fails to stop', async () => {
  const log = createMemoryLogger()
  const parts = createLifecycle(log)
  const seen: string[] = []
  parts.add('store', { stop: () => { seen.push('stop store') } })
  parts.add('node', { start: () => { seen.push('start node') }, stop: () => { seen.push('stop node'); throw new Error('stuck') } })
  parts.add('chat', { start: async () => { await Promise.resolve(); seen.push('start chat') }, stop: () => { seen.push('stop chat') } })
  await parts.start()
  await Promise.all([parts.stop(), parts.stop()])
  assert.deepEqual(seen, ['start node', 'start chat', 'stop chat', 'stop node', 'stop store'])
  assert.ok(log.lines.some((l) => l.msg === 'a part failed to stop' && l.part === 'node'))
})
