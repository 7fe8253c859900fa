import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { makeDeviceCredential } from '../crypto/mls-credential.js'
import { commitChanges, createGroupState, decodeKeyPackage, epochOf, newKeyPackage, newSigningKeys } from '../crypto/mls-group.js'
import { mlsClientConfig } from '../crypto/mls-suite.js'
import { probeServer } from '../fuzz-streams.js'
import { cborFrame } from '../net/frame-io.js'
import { createEnvelopeSigner } from './envelope-signature.js'
import { GROUP_PROTOCOL } from './group-protocol.js'
import { createTestDevices, type TestDevice, type TestDevices } from './test-devices.js'
import type { ConversationId } from '../api/contract.js'
import type { Envelope } from './envelope.js'

/**
 * What a hostile colleague's client can make: a group of its own for someone else's DM, named
 * for itself, holding the victim (whose key package any member may ask for), and its welcome.
 */
async function forgedWelcome(net: TestDevices, attacker: TestDevice, victim: TestDevice, conv: ConversationId): Promise<Envelope> {
  const handler = net.handlerOf(victim, GROUP_PROTOCOL)
  assert.ok(handler !== undefined)
  const [reply] = (await probeServer((s, c) => Promise.resolve(handler(s, c)), peerIdFromString(attacker.id), cborFrame({ t: 'kp' }))).frames as Array<{ kp: Uint8Array }>
  assert.ok(reply !== undefined, 'the victim hands a colleague a key package')
  const keys = await newSigningKeys()
  const own = await newKeyPackage({ ...keys, credential: await makeDeviceCredential(attacker.key, attacker.id, keys.publicKey) })
  const groupId = `${conv}/${attacker.id}`
  const state = await createGroupState(groupId, own, mlsClientConfig({ validateCredential: () => Promise.resolve(true) }))
  const out = await commitChanges(state, { add: [decodeKeyPackage(reply.kp)] })
  assert.ok(out.welcome !== null)
  return createEnvelopeSigner(attacker.key)({ v: 3, conv, author: attacker.id, seq: 1, kind: 'welcome', epoch: epochOf(out.state), mls: out.welcome, to: [victim.id] })
}

/** Three devices where the middle one's id sorts first: its group would be the one a DM sends in. */
async function withLowestColleague(linked: Array<[number, number]>): Promise<TestDevices> {
  for (;;) {
    const net = await createTestDevices(3, { linked })
    const [a, b, c] = net.devices
    if (a !== undefined && b !== undefined && c !== undefined && b.id < a.id && b.id < c.id) return net
    await net.close()
  }
}

async function texts(d: TestDevice, conv: ConversationId): Promise<string[]> {
  return (await d.chat.history({ conversationId: conv }, { limit: 100 })).map((m) => m.text)
}

test('a colleague cannot take over a DM by welcoming one side into a group of its own that sorts first: the DM goes on between its own devices', async () => {
  for (const [what, linked] of [['a DM between a person\'s two devices', [[0, 2]]], ['a DM between two people', []]] as const) {
    // a and c: Alice's two devices, or Alice and Carol; b: the hostile colleague, whose id sorts first.
    const net = await withLowestColleague(linked.map(([x, y]) => [x, y]))
    const [a, b, c] = net.devices
    if (a === undefined || b === undefined || c === undefined) throw new Error('three devices were made')
    try {
      if (linked.length > 0) net.linkDevice(c)
      const first = await a.chat.send({ peerId: c.id }, `${what}: first`)
      const conv = first.conversationId
      await net.until('the DM set up on both sides', async () => (await c.record(conv)) !== undefined && (await texts(c, conv)).includes(`${what}: first`))
      await net.deliver(a, b, [await forgedWelcome(net, b, a, conv)])
      // The victim's next message goes to the other side of its DM, not into the colleague's group.
      await a.chat.send({ peerId: c.id }, `${what}: second`)
      await net.until('the second message at the other side', async () => (await texts(c, conv)).includes(`${what}: second`))
      assert.ok(!(await a.record(conv))?.members.includes(b.id), `${what}: the colleague is in no group of it`)
    } finally {
      await net.close()
    }
  }
})
