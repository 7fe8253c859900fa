import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EnclaveError } from '../errors.js'
import { deviceOfCredential, makeDeviceCredential } from './mls-credential.js'
import { commitChanges, createGroupState, decodeMls, decodeState, encodeState, encryptApplication, epochOf, isActive, joinFromWelcome, membersOf, newKeyPackage, newSigningKeys, processPrivate, type Incoming, type MlsSigner } from './mls-group.js'
import { mlsClientConfig } from './mls-suite.js'
import type { ClientState, Welcome } from 'ts-mls'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const read = (b: Uint8Array): string => new TextDecoder().decode(b)

async function device(): Promise<{ id: string; signer: MlsSigner }> {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  const keys = await newSigningKeys()
  return { id, signer: { ...keys, credential: await makeDeviceCredential(key, id, keys.publicKey) } }
}

function expectApp(got: Incoming): Extract<Incoming, { kind: 'application' }> {
  if (got.kind !== 'application') throw new Error(`expected an application message, got ${got.kind}`)
  return got
}

function expectCommit(got: Incoming): Extract<Incoming, { kind: 'commit' }> {
  if (got.kind !== 'commit') throw new Error(`expected a commit, got ${got.kind}`)
  return got
}

const allowAll = mlsClientConfig({ validateCredential: async (c, k) => await deviceOfCredential(c, k) !== null })
const welcomeOf = (bytes: Uint8Array): Welcome => {
  const m = decodeMls(bytes)
  assert.equal(m.wireformat, 'mls_welcome')
  return m.welcome
}

async function threeMemberGroup(): Promise<{ a: ClientState; b: ClientState; c: ClientState; ids: string[] }> {
  const [da, db, dc] = [await device(), await device(), await device()]
  const a0 = await createGroupState('ch:test', await newKeyPackage(da.signer), allowAll)
  const kb = await newKeyPackage(db.signer)
  const kc = await newKeyPackage(dc.signer)
  const out = await commitChanges(a0, { add: [kb.publicPackage, kc.publicPackage] })
  assert.ok(out.welcome)
  const b = await joinFromWelcome(welcomeOf(out.welcome), kb, allowAll)
  const c = await joinFromWelcome(welcomeOf(out.welcome), kc, allowAll)
  return { a: out.state, b, c, ids: [da.id, db.id, dc.id] }
}

test('members read each other; the sender device comes from the leaf credential', async () => {
  const { a, b, c, ids } = await threeMemberGroup()
  assert.deepEqual(membersOf(b).map((m) => m.device), ids)
  const sent = await encryptApplication(a, text('hello'))
  for (const state of [b, c]) {
    const got = expectApp(await processPrivate(state, decodeMls(sent.message), () => false))
    assert.equal(read(got.plaintext), 'hello')
    assert.equal(got.device, ids[0])
  }
})

test('a replayed or tampered message is refused', async () => {
  const { a, b } = await threeMemberGroup()
  const sent = await encryptApplication(a, text('once'))
  const first = expectApp(await processPrivate(b, decodeMls(sent.message), () => false))
  await assert.rejects(processPrivate(first.state, decodeMls(sent.message), () => false))
  const tampered = sent.message.slice()
  tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01
  await assert.rejects(async () => processPrivate(b, decodeMls(tampered), () => false))
})

test('a message expected from another device is refused before its key is used', async () => {
  const { a, b, ids } = await threeMemberGroup()
  const sent = await encryptApplication(a, text('mine'))
  await assert.rejects(processPrivate(b, decodeMls(sent.message), () => false, ids[2]), (err: unknown) => err instanceof EnclaveError && err.code === 'wrong-author')
  const got = expectApp(await processPrivate(b, decodeMls(sent.message), () => false, ids[0]))
  assert.equal(read(got.plaintext), 'mine', 'the real sender\'s key is still there')
})

test('a removed member cannot read the next epoch; the others can', async () => {
  const { a, b, c } = await threeMemberGroup()
  const removal = await commitChanges(a, { remove: [2] })
  const bNext = expectCommit(await processPrivate(b, decodeMls(removal.commit), (leaf) => leaf === 0))
  const cNext = expectCommit(await processPrivate(c, decodeMls(removal.commit), (leaf) => leaf === 0))
  assert.equal(isActive(cNext.state), false)
  const secret = await encryptApplication(removal.state, text('after removal'))
  await assert.rejects(async () => processPrivate(c, decodeMls(secret.message), () => false))
  await assert.rejects(async () => processPrivate(cNext.state, decodeMls(secret.message), () => false))
  const got = expectApp(await processPrivate(bNext.state, decodeMls(secret.message), () => false))
  assert.equal(read(got.plaintext), 'after removal')
})

test('a commit from a member the committer policy does not allow is refused and changes nothing', async () => {
  const { a, b, c } = await threeMemberGroup()
  const rogue = await commitChanges(b, { remove: [0] })
  const got = await processPrivate(c, decodeMls(rogue.commit), (leaf) => leaf === 0)
  assert.equal(got.kind, 'refused')
  assert.equal(epochOf(c), 1)
  // c still follows the real committer.
  const real = await commitChanges(a, { remove: [1] })
  assert.equal((await processPrivate(c, decodeMls(real.commit), (leaf) => leaf === 0)).kind, 'commit')
})

test('a credential not signed by the device it names is refused when adding', async () => {
  const mallory = await device()
  const victim = await device()
  const forged: MlsSigner = { ...mallory.signer, credential: victim.signer.credential }
  assert.equal(await deviceOfCredential(forged.credential, forged.publicKey), null)
  const { a } = await threeMemberGroup()
  await assert.rejects(async () => commitChanges(a, { add: [(await newKeyPackage(forged)).publicPackage] }))
})

test('state survives encoding, keeping the epoch and keys', async () => {
  const { a, b } = await threeMemberGroup()
  const restored = decodeState(encodeState(b), allowAll)
  const sent = await encryptApplication(a, text('after restart'))
  const got = expectApp(await processPrivate(restored, decodeMls(sent.message), () => false))
  assert.equal(read(got.plaintext), 'after restart')
})
