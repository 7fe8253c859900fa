import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMemoryLogger } from '../logger.js'
import { createUnprovenGrace, type UnprovenGraceComponents } from './unproven-grace.js'
import type { PeerId } from '@libp2p/interface'

class FakeNode extends EventTarget {
  readonly hungUp: string[] = []
  hangUp (peer: PeerId): Promise<void> {
    this.hungUp.push(peer.toString())
    return Promise.resolve()
  }

  connect (peer: PeerId): void { this.dispatchEvent(new CustomEvent('peer:connect', { detail: peer })) }
}

const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

test('a stranger is let go after the short grace, a joiner after the long one, a member and a relay never', async (t) => {
  const [stranger, joiner, member, relay] = await Promise.all([newPeer(), newPeer(), newPeer(), newPeer()])
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const node = new FakeNode()
  const components: UnprovenGraceComponents = {
    node,
    log: createMemoryLogger(),
    allows: (peer) => peer === member.toString(),
    keeps: (peer) => peer === relay.toString()
  }
  const grace = createUnprovenGrace(components, { strangerGraceMs: 5_000, graceMs: 10_000 })
  for (const p of [stranger, joiner, member, relay]) node.connect(p)
  assert.ok(!grace.has(member.toString()))
  t.mock.timers.tick(1_000)
  grace.extend(joiner)
  t.mock.timers.tick(4_000)
  assert.deepEqual(node.hungUp, [stranger.toString()])
  grace.extend(joiner)
  t.mock.timers.tick(5_999)
  assert.deepEqual(node.hungUp, [stranger.toString()], 'a second extension gives no more time')
  t.mock.timers.tick(1)
  assert.deepEqual(node.hungUp, [stranger.toString(), joiner.toString()])
  t.mock.timers.tick(60_000)
  assert.deepEqual(node.hungUp.length, 2)
  grace.stop()
})
