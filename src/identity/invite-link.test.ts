import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { decodeInviteLink, encodeInviteLink, encodeShortInviteLink, INVITE_LINK_PREFIX, inviteSecretOfSeed, inviteText, newInviteId, newInviteSeed } from './invite-link.js'
import { createRootKey, rootFingerprint, workspaceIdOf } from './workspace-key.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { mutatedBytes } from '../fuzz-mutations.js'
import { outcomeOf } from '../fuzz-outcome.js'

const root = await createRootKey()
const device = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const relay = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const seed = newInviteSeed()
const invite = {
  v: 1 as const,
  ws: workspaceIdOf(root.publicKey),
  name: '研发中心 Acme',
  fingerprint: rootFingerprint(root.publicKey),
  addresses: [
    `/ip4/192.168.1.20/tcp/4001/p2p/${device}`,
    `/ip6/fe80::1/tcp/4001/p2p/${device}`,
    `/ip4/203.0.113.7/tcp/4002/p2p/${relay}/p2p-circuit/p2p/${device}`
  ],
  inviteId: newInviteId(),
  secret: inviteSecretOfSeed(seed)
}

test('a short link reads back as the invite it packs, at well under half the length of the first form', () => {
  const short = encodeShortInviteLink(invite, seed, device)
  assert.deepEqual(decodeInviteLink(short), invite)
  // The pasted text around it is read too.
  assert.deepEqual(decodeInviteLink(inviteText(invite, short)), invite)
  assert.deepEqual(decodeInviteLink(`邀请你加入 Enclave 工作区“研发中心”。\n加入链接：${short}\n工作区指纹：${invite.fingerprint}`), invite)
  const long = encodeInviteLink(invite)
  assert.ok(short.length < long.length * 0.45, `${short.length} vs ${long.length} characters`)
  assert.ok(short.startsWith(INVITE_LINK_PREFIX))
})

test('a short link is only made for the inviting device and the seed of its secret', () => {
  assert.throws(() => encodeShortInviteLink(invite, newInviteSeed(), device), /seed/)
  assert.throws(() => encodeShortInviteLink(invite, seed, relay), /inviting device/)
})

test('a short link edited inside is read or refused with bad-request, never anything else', () => {
  const bytes = new Uint8Array(Buffer.from(encodeShortInviteLink(invite, seed, device).slice(INVITE_LINK_PREFIX.length), 'base64url'))
  fc.assert(fc.property(mutatedBytes(bytes), (edited) => {
    const got = outcomeOf(() => decodeInviteLink(INVITE_LINK_PREFIX + Buffer.from(edited).toString('base64url')), ['bad-request'])
    if (got.ok) assert.ok(got.value.secret.byteLength === 32 && got.value.addresses.every((a) => a.includes('/p2p/')))
  }), { numRuns: fuzzRuns(5_000) })
})
