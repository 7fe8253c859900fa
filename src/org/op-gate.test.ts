import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { chain, testDevice, testRegistry, testWorkspace, type TestDevice, type TestWorkspace } from './test-workspaces.js'
import { deviceLinkProof, type OpBodyInput, type VerifiedOp } from '../identity/membership-op.js'

const add = (d: TestDevice, role: 'member' | 'admin' = 'member'): OpBodyInput => ({ type: 'add', userId: d.userId, device: d.id, role, profile: { name: `user ${d.userId}` } })
const profileOf = (d: TestDevice, title: string): OpBodyInput => ({ type: 'profile', userId: d.userId, profile: { name: `user ${d.userId}`, title } })
const signed = (ops: VerifiedOp[]): Array<{ bytes: Uint8Array; sig: Uint8Array }> => ops.map((op) => op.signed)

/** A workspace where the owner added `member`. */
async function withMember(): Promise<{ t: TestWorkspace; member: TestDevice; added: VerifiedOp }> {
  const t = await testWorkspace()
  const member = await testDevice()
  const added = await t.sign(t.owner, add(member), [t.genesis.id])
  return { t, member, added }
}

test('a member\'s ops beyond the quota are held, not stored; an admin\'s ops never are', async () => {
  const { t, member, added } = await withMember()
  const r = await testRegistry(t, t.owner.userId, [t.genesis, added], { gate: { opsPerWindow: 3 } })
  try {
    const edits = await chain(t, [1, 2, 3, 4, 5].map((n) => ({ by: member, body: profileOf(member, `title ${n}`) })), added)
    const stored = await r.registry.receive(t.ws, signed(edits))
    assert.deepEqual(stored, edits.slice(0, 3).map((op) => op.id))
    assert.equal(r.registry.get(t.ws)?.log.state().members.get(member.userId)?.profile.title, 'title 3')
    const held = r.log.lines.filter((l) => l.msg === 'membership op held')
    assert.deepEqual(held.map((l) => [l.op, l.code]), edits.slice(3).map((op) => [op.id, 'over-quota']))

    const departments = await chain(t, Array.from({ length: 10 }, (_, i) => ({ by: t.owner, body: { type: 'department' as const, departmentId: `dep-000000${i}`, parentId: null, name: `Team ${i}`, order: i } })), added)
    assert.equal((await r.registry.receive(t.ws, signed(departments))).length, 10)
  } finally {
    await r.close()
  }
})

test('a member\'s large op, and ops that are not theirs to make, are held', async () => {
  const { t, member, added } = await withMember()
  const r = await testRegistry(t, t.owner.userId, [t.genesis, added])
  try {
    const stranger = await testDevice()
    const inline = `data:image/png;base64,${'A'.repeat(20_000)}`
    const big = await t.sign(member, { type: 'profile', userId: member.userId, profile: { name: 'Bob', avatar: inline } }, [added.id])
    const addsSomeone = await t.sign(member, add(stranger), [added.id])
    const editsOwner = await t.sign(member, { type: 'profile', userId: t.owner.userId, profile: { name: 'Not Olivia' } }, [added.id])
    const fromStranger = await t.sign(stranger, profileOf(stranger, 'hi'), [added.id])
    const deviceForOwner = await t.sign(member, { type: 'addDevice', userId: t.owner.userId, device: stranger.id, proof: await deviceLinkProof(stranger.key, t.ws, t.owner.userId, stranger.id) }, [added.id])
    assert.deepEqual(await r.registry.receive(t.ws, signed([big, addsSomeone, editsOwner, fromStranger, deviceForOwner])), [])
    const codes = new Map(r.log.lines.filter((l) => l.msg === 'membership op held').map((l) => [l.op, l.code]))
    assert.deepEqual([big, addsSomeone, editsOwner, fromStranger, deviceForOwner].map((op) => codes.get(op.id)), ['too-large', 'unauthorized', 'unauthorized', 'unauthorized', 'unauthorized'])
    assert.equal(r.registry.get(t.ws)?.log.size, 2)
    // A device of their own is theirs to add.
    const ownDevice = await t.sign(member, { type: 'addDevice', userId: member.userId, device: stranger.id, proof: await deviceLinkProof(stranger.key, t.ws, member.userId, stranger.id) }, [added.id])
    await r.registry.receive(t.ws, signed([ownDevice]))
    assert.equal(r.registry.get(t.ws)?.log.state().devices.get(stranger.id), member.userId)
  } finally {
    await r.close()
  }
})

test('an admin\'s op that names a held op takes it in: a removal never waits on a member\'s quota', async () => {
  const { t, member, added } = await withMember()
  // Two devices of the workspace: one held the member's second edit, the other (the owner's) did not.
  const r = await testRegistry(t, 'someone-0000', [t.genesis, added], { gate: { opsPerWindow: 1 } })
  try {
    const [first, second] = await chain(t, [{ by: member, body: profileOf(member, 'one') }, { by: member, body: profileOf(member, 'two') }], added)
    assert.ok(first !== undefined && second !== undefined)
    assert.deepEqual(await r.registry.receive(t.ws, signed([first, second])), [first.id])
    const removal = await t.sign(t.owner, { type: 'remove', userId: member.userId }, [second.id])
    assert.deepEqual(new Set(await r.registry.receive(t.ws, signed([removal]))), new Set([second.id, removal.id]))
    assert.ok(r.registry.get(t.ws)?.log.state().removed.has(member.userId))

    // And when the admin's op comes first (the held op was never seen here), the op it names is
    // taken when it arrives, whatever the quota says.
    const [third, fourth] = await chain(t, [{ by: t.owner, body: add(await testDevice()) }, { by: t.owner, body: add(await testDevice()) }], removal)
    assert.ok(third !== undefined && fourth !== undefined)
    const late = await t.sign(member, profileOf(member, 'late'), [first.id])
    const merge = await t.sign(t.owner, { type: 'department', departmentId: 'dep-00000001', parentId: null, name: 'All', order: 0 }, [fourth.id, late.id].sort())
    assert.deepEqual(await r.registry.receive(t.ws, signed([third, fourth, merge])), [third.id, fourth.id])
    assert.deepEqual(new Set(await r.registry.receive(t.ws, signed([late]))), new Set([late.id, merge.id]))
  } finally {
    await r.close()
  }
})

test('a held op is taken once its author\'s window has room again', async () => {
  const { t, member, added } = await withMember()
  let now = 1_000_000
  const r = await testRegistry(t, t.owner.userId, [t.genesis, added], { gate: { opsPerWindow: 1, windowMs: 60_000, now: () => now } })
  try {
    const edits = await chain(t, [{ by: member, body: profileOf(member, 'one') }, { by: member, body: profileOf(member, 'two') }], added)
    assert.equal((await r.registry.receive(t.ws, signed(edits))).length, 1)
    now += 61_000
    assert.deepEqual(await r.registry.receive(t.ws, []), [edits[1]?.id])
  } finally {
    await r.close()
  }
})

test('a whole log in one batch is taken: genesis, the owner\'s adds, an admin\'s adds, members\' edits', async () => {
  const { t, member, added } = await withMember()
  const admin = await testDevice()
  const steps = await chain(t, [
    { by: t.owner, body: add(admin, 'admin') },
    { by: admin, body: add(await testDevice()) },
    { by: member, body: profileOf(member, 'hello') }
  ], added)
  const r = await testRegistry(t, 'newcomer-000', [])
  try {
    assert.equal((await r.registry.receive(t.ws, signed([t.genesis, added, ...steps]))).length, 5)
    assert.equal(r.registry.get(t.ws)?.log.state().members.size, 4)
  } finally {
    await r.close()
  }
})

test('a member\'s own device refuses to write what others would hold', async () => {
  const { t, member, added } = await withMember()
  const r = await testRegistry(t, member.userId, [t.genesis, added], { gate: { opsPerWindow: 2 } })
  try {
    const edits = await chain(t, [1, 2, 3].map((n) => ({ by: member, body: profileOf(member, `t${n}`) })), added)
    await r.registry.append(t.ws, edits.slice(0, 1))
    await r.registry.append(t.ws, edits.slice(1, 2))
    await assert.rejects(r.registry.append(t.ws, edits.slice(2)), (err: unknown) => err instanceof EnclaveError && err.code === 'over-quota')
    assert.equal(r.registry.get(t.ws)?.log.size, 4)
  } finally {
    await r.close()
  }
})
