import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { fuzzRuns } from '../fuzz-runs.js'
import { mutatedBytes } from '../fuzz-mutations.js'
import { outcomeOfAsync } from '../fuzz-outcome.js'
import { MAX_ROUTE_ADDRESSES, ROUTE_TTL_MS, openRoute, sealRoute } from './route-record.js'

const key = await generateKeyPair('Ed25519')
const other = await generateKeyPair('Ed25519')
const self = peerIdFromPrivateKey(key)
const NOW = Date.parse('2026-12-05T09:00:00Z')
const direct = multiaddr('/ip4/127.0.0.1/tcp/4001')
const relayed = multiaddr(`/ip4/127.0.0.1/tcp/4002/p2p/${peerIdFromPrivateKey(other).toString()}/p2p-circuit`)

test('a sealed route opens to the same device, time and addresses, without its own /p2p suffix or repeats', async () => {
  const route = await sealRoute(key, [direct, multiaddr(`${direct.toString()}/p2p/${self.toString()}`), relayed], NOW)
  const opened = await openRoute(route.bytes, NOW)
  assert.equal(opened.peer, self.toString())
  assert.equal(opened.seq, NOW)
  assert.deepEqual(opened.addresses.map(String), [direct.toString(), relayed.toString()])
})

test('a route keeps at most 16 addresses', async () => {
  const many = Array.from({ length: 40 }, (_, i) => multiaddr(`/ip4/127.0.0.1/tcp/${5000 + i}`))
  const opened = await openRoute((await sealRoute(key, many, NOW)).bytes, NOW)
  assert.equal(opened.addresses.length, MAX_ROUTE_ADDRESSES)
})

test('stale and future-dated routes are refused', async () => {
  const old = await sealRoute(key, [direct], NOW - ROUTE_TTL_MS - 1)
  await assert.rejects(openRoute(old.bytes, NOW), { code: 'bad-frame', message: /expired/ })
  const ahead = await sealRoute(key, [direct], NOW + 3600_000)
  await assert.rejects(openRoute(ahead.bytes, NOW), { code: 'bad-frame', message: /future/ })
})

test('a record signed by one device naming another is refused (nobody can move a colleague elsewhere)', async () => {
  const forged = await RecordEnvelope.seal(new PeerRecord({ peerId: self, multiaddrs: [direct], seqNumber: BigInt(NOW) }), other)
  await assert.rejects(openRoute(forged.marshal(), NOW), { code: 'bad-frame', message: /another device/ })
})

test('an envelope from another signing domain is not a route', async () => {
  const record = new PeerRecord({ peerId: self, multiaddrs: [direct], seqNumber: BigInt(NOW) })
  const wrongDomain = await RecordEnvelope.seal({ domain: 'enclave-not-a-route', codec: PeerRecord.CODEC, marshal: () => record.marshal(), equals: () => false }, key)
  await assert.rejects(openRoute(wrongDomain.marshal(), NOW), { code: 'bad-frame' })
})

test('random and edited route bytes open or are refused with a code, and an opened route was signed by its device', async () => {
  const valid = (await sealRoute(key, [direct, relayed], NOW)).bytes
  await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutatedBytes(valid)), async (bytes) => {
    const got = await outcomeOfAsync(() => openRoute(bytes, NOW), ['bad-frame', 'too-large'])
    if (got.ok) {
      assert.equal(got.value.peer, self.toString())
      assert.ok(got.value.addresses.length <= MAX_ROUTE_ADDRESSES)
    }
  }), { numRuns: fuzzRuns(1_000) })
})
