import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createBus } from '../bus.js'
import { peerIdOf } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { createPeerReadiness } from './peer-readiness.js'
import type { CoreEvents } from '../core-events.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { PeerId } from '@libp2p/interface'

/** The part of a libp2p node readiness watches: connect and disconnect events, open connections. */
class FakeNode extends EventTarget {
  readonly open = new Set<string>()
  connect(peer: PeerId): void { this.open.add(peer.toString()); this.dispatchEvent(new CustomEvent('peer:connect', { detail: peer })) }
  disconnect(peer: PeerId): void { this.open.delete(peer.toString()); this.dispatchEvent(new CustomEvent('peer:disconnect', { detail: peer })) }
  getConnections(peer: PeerId): Array<{ status: string }> { return this.open.has(peer.toString()) ? [{ status: 'open' }] : [] }
}

async function setup(inWorkspace: boolean, allowed: Set<string> | 'everyone'): Promise<{ node: FakeNode; peer: PeerId; ready: string[]; readiness: ReturnType<typeof createPeerReadiness> }> {
  const node = new FakeNode()
  const bus = createBus<CoreEvents>(createMemoryLogger())
  const ready: string[] = []
  bus.on('peer:ready', (p) => { ready.push(p) })
  const readiness = createPeerReadiness({ node: node as unknown as NetNode, bus, allows: (p) => allowed === 'everyone' || allowed.has(p), inWorkspace: () => inWorkspace })
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return { node, peer, ready, readiness }
}

test('in a workspace, a peer is ready after the first sync that finds it allowed, once per connection', async () => {
  const allowed = new Set<string>()
  const { node, peer, ready, readiness } = await setup(true, allowed)
  node.connect(peer)
  assert.deepEqual(ready, [], 'not before membership is settled')
  readiness.settled(peerIdOf(peer))
  assert.deepEqual(ready, [], 'not while the peer is not a member')
  allowed.add(peer.toString())
  readiness.settled(peerIdOf(peer))
  readiness.settled(peerIdOf(peer))
  assert.deepEqual(ready, [peer.toString()], 'once, however many syncs follow')
  node.disconnect(peer)
  readiness.settled(peerIdOf(peer))
  assert.equal(ready.length, 1, 'never for a peer that is gone')
  node.connect(peer)
  readiness.settled(peerIdOf(peer))
  assert.equal(ready.length, 2, 'again on the next connection')
  readiness.stop()
})

test('in no workspace, a peer is ready as soon as it connects', async () => {
  // Membership access allows everyone while this device is in no workspace.
  const { node, peer, ready, readiness } = await setup(false, 'everyone')
  node.connect(peer)
  assert.deepEqual(ready, [peer.toString()])
  readiness.settled(peerIdOf(peer))
  assert.equal(ready.length, 1)
  readiness.stop()
})
