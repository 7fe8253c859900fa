import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { createBus } from '../bus.js'
import { createMemoryLogger } from '../logger.js'
import { createNetHealth } from './net-health.js'
import type { ConnectionFailureView, NetHealthView, PeerIdString } from '../api/contract.js'
import type { CoreEvents } from '../core-events.js'
import type { NetNode } from './libp2p-node.js'

/** The part of a libp2p node health reads: its addresses, connections and the events that change them. */
class FakeNode extends EventTarget {
  addresses: string[] = ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWSelf']
  connections: Array<{ remoteAddr: { toString(): string } }> = []
  readonly services = {}
  getMultiaddrs(): Array<{ toString(): string }> { return this.addresses.map((a) => ({ toString: () => a })) }
  getConnections(): Array<{ remoteAddr: { toString(): string } }> { return this.connections }
}

test('changes are pushed as net.healthChanged, a burst as one event, and nothing when nothing changed', () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] })
  try {
    const node = new FakeNode()
    const bus = createBus<CoreEvents>(createMemoryLogger())
    const failures: ConnectionFailureView[] = []
    const pushed: NetHealthView[] = []
    const relay = '/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWRelay'
    const health = createNetHealth({
      node: node as unknown as NetNode,
      peers: { failures: () => failures },
      relays: { sources: () => [{ address: relay, source: 'configured' as const }] },
      bus,
      emit: (name, payload) => { if (name === 'net.healthChanged') pushed.push(payload as NetHealthView) },
      log: createMemoryLogger()
    })
    health.start()

    node.connections.push({ remoteAddr: { toString: () => '/ip4/10.0.0.2/tcp/4001' } }, { remoteAddr: { toString: () => '/ip4/10.0.0.3/tcp/4001' } })
    node.dispatchEvent(new Event('connection:open'))
    node.dispatchEvent(new Event('connection:open'))
    mock.timers.tick(250)
    assert.equal(pushed.length, 1, 'two connections in one burst are one update')
    const [first] = pushed
    assert.ok(first)
    assert.equal(first.connections, 2)
    assert.deepEqual(first.relays.map((r) => r.reserved), [false])

    node.dispatchEvent(new Event('connection:open'))
    mock.timers.tick(250)
    assert.equal(pushed.length, 1, 'an event that changed nothing is not pushed')

    node.addresses.push(`${relay}/p2p-circuit/p2p/12D3KooWSelf`)
    node.dispatchEvent(new Event('self:peer:update'))
    mock.timers.tick(250)
    assert.equal(pushed.at(-1)?.relays[0]?.reserved, true, 'a reservation shows as soon as the relayed address appears')

    const failure: ConnectionFailureView = { at: 1, peerId: '12D3KooWPeer' as PeerIdString, attempt: 'dial', reason: 'refused' }
    failures.push(failure)
    bus.emit('connection:failed', failure)
    mock.timers.tick(250)
    assert.deepEqual(pushed.at(-1)?.failures, [failure])

    health.stop()
    node.dispatchEvent(new Event('connection:close'))
    mock.timers.tick(1000)
    assert.equal(pushed.length, 3, 'nothing after stop')
  } finally {
    mock.timers.reset()
  }
})
