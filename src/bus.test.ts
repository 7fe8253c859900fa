import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createBus } from './bus.js'
import { createMemoryLogger } from './logger.js'

interface TestEvents { a: number; b: string }

function quietBus(): { bus: ReturnType<typeof createBus<TestEvents>>; lines: Array<Record<string, unknown>> } {
  const log = createMemoryLogger()
  return { bus: createBus<TestEvents>(log), lines: log.lines }
}

test('a listener hears its event until it unsubscribes', () => {
  const { bus } = quietBus()
  const heard: number[] = []
  const off = bus.on('a', (n) => { heard.push(n) })
  bus.emit('a', 1)
  bus.emit('b', 'other')
  off()
  bus.emit('a', 2)
  assert.deepEqual(heard, [1])
})

test('a listener that throws or rejects is logged and the others still hear the event', async () => {
  const { bus, lines } = quietBus()
  const heard: string[] = []
  bus.on('a', () => { throw new Error('boom') })
  bus.on('a', () => Promise.reject(new Error('later boom')))
  bus.on('a', (n) => { heard.push(`second ${n}`) })
  bus.onAny((name) => { heard.push(`any ${name}`) })
  bus.emit('a', 7)
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(heard, ['second 7', 'any a'])
  assert.equal(lines.filter((l) => l.msg === 'event listener failed').length, 2)
})

test('dispatch waits for each listener in turn and rejects with a failure', async () => {
  const { bus } = quietBus()
  const order: string[] = []
  bus.on('b', async (s) => { await new Promise((resolve) => setTimeout(resolve, 5)); order.push(`first ${s}`) })
  bus.on('b', (s) => { order.push(`second ${s}`) })
  await bus.dispatch('b', 'x')
  assert.deepEqual(order, ['first x', 'second x'])
  bus.on('b', () => { throw new Error('refused') })
  await assert.rejects(bus.dispatch('b', 'y'), /refused/)
})
