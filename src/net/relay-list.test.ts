import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createBus } from '../bus.js'
import { createMemoryLogger } from '../logger.js'
import { createRelayList, loadAddedRelays } from './relay-list.js'
import type { CoreEvents } from '../core-events.js'
import { memoryCollection } from '../store/test-memory-collection.js'


const relay = (n: number): string => `/ip4/10.0.0.${n}/tcp/4001/p2p/12D3KooWRelay${n}`

test('a relay added at runtime is dialled, kept for the next start, and listed by where it came from', async () => {
  const data = new Map<string, string[]>()
  const dialled: string[] = []
  const log = createMemoryLogger()
  const bus = createBus<CoreEvents>(log)
  const make = async () => createRelayList({ bus, log, dial: (a) => { dialled.push(a); return Promise.resolve() }, meta: memoryCollection('meta', data) }, [relay(1)], await loadAddedRelays(memoryCollection('meta', data)))

  const first = await make()
  first.start()
  await first.add(relay(2))
  await first.add(relay(2))
  bus.emit('relays:learned', [relay(3), relay(2)])
  assert.deepEqual(dialled, [relay(1), relay(2), relay(3)], 'each relay dialled once')
  assert.deepEqual(first.sources(), [{ address: relay(1), source: 'configured' }, { address: relay(2), source: 'added' }, { address: relay(3), source: 'workspace' }])
  assert.equal(first.isRelay('12D3KooWRelay2'), true)

  dialled.length = 0
  const second = await make()
  second.start()
  assert.deepEqual(dialled, [relay(1), relay(2)], 'the added relay is dialled at the next start')
  assert.deepEqual(second.all(), [relay(1), relay(2)])
})

test('at most eight relays can be added', async () => {
  const log = createMemoryLogger()
  const list = createRelayList({ bus: createBus<CoreEvents>(log), log, dial: () => Promise.resolve(), meta: memoryCollection<string[]>('meta') }, [])
  for (let n = 1; n <= 8; n++) await list.add(relay(n))
  await assert.rejects(list.add(relay(9)), /at most 8/)
})
