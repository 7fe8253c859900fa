import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { EnclaveError } from '../errors.js'
import { canonicalEncode } from './canonical.js'
import { createMembershipLog, type MembershipLog } from './membership-log.js'
import { deviceLinkProof, signOp, verifyOp, type OpBodyInput, type Role, type VerifiedOp } from './membership-op.js'
import { SIGNATURE_DOMAINS, signFor } from './signing.js'
import { createRootKey, workspaceIdOf, type WorkspaceId } from './workspace-key.js'
import type { PrivateKey } from '@libp2p/interface'

interface Device { key: PrivateKey; id: string; userId: string }

async function device(userId = randomBytes(8).toString('hex')): Promise<Device> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString(), userId }
}

const profile = (name: string): { name: string } => ({ name })

/** A workspace with its genesis op, and a helper to sign ops as any device. */
async function workspace(): Promise<{ ws: WorkspaceId; owner: Device; genesis: VerifiedOp; sign: (by: Device, body: OpBodyInput, parents: string[], ts?: number) => Promise<VerifiedOp> }> {
  const root = await createRootKey()
  const ws = workspaceIdOf(root.publicKey)
  const owner = await device()
  const genesis = await signOp(root, { v: 1, ws, parents: [], author: 'root', ts: 1, body: { type: 'create', name: 'Acme', rootKey: root.publicKey.raw, owner: { userId: owner.userId, device: owner.id, profile: profile('Olivia') } } })
  const sign = (by: Device, body: OpBodyInput, parents: string[], ts = 2): Promise<VerifiedOp> => signOp(by.key, { v: 1, ws, parents, author: by.id, ts, body })
  return { ws, owner, genesis, sign }
}

/** An `addDevice` body for `d` into `userId`'s account, with `d`'s own consent. */
async function link(ws: WorkspaceId, userId: string, d: Device): Promise<OpBodyInput> {
  return { type: 'addDevice', userId, device: d.id, proof: await deviceLinkProof(d.key, ws, userId, d.id) }
}

function add(d: Device, role: Role = 'member'): OpBodyInput {
  return { type: 'add', userId: d.userId, device: d.id, role, profile: profile(`user ${d.userId.slice(0, 4)}`) }
}

function roleOf(log: MembershipLog, d: Device): string | undefined {
  const m = log.state().members.get(d.userId)
  return m === undefined ? undefined : `${m.role}/${m.status}`
}

test('the owner adds members; a member cannot add anyone', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const alice = await device()
  const bob = await device()
  const log = createMembershipLog(ws)
  const addAlice = await sign(owner, add(alice), [genesis.id])
  const aliceAddsBob = await sign(alice, add(bob), [addAlice.id])
  log.add([genesis, addAlice, aliceAddsBob])
  assert.equal(roleOf(log, owner), 'owner/active')
  assert.equal(roleOf(log, alice), 'member/active')
  assert.equal(roleOf(log, bob), undefined)
  assert.equal(log.rejections().get(aliceAddsBob.id), 'not-admin')
})

test('member relaying is on by default; only an admin turns it off', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const guest = await device()
  const log = createMembershipLog(ws)
  const addGuest = await sign(owner, add(guest, 'guest'), [genesis.id])
  const guestTurnsOff = await sign(guest, { type: 'settings', memberRelay: false }, [addGuest.id])
  log.add([genesis, addGuest, guestTurnsOff])
  assert.equal(log.state().memberRelay, true)
  assert.equal(log.rejections().get(guestTurnsOff.id), 'not-admin')
  const ownerTurnsOff = await sign(owner, { type: 'settings', memberRelay: false }, [guestTurnsOff.id], 3)
  log.add([ownerTurnsOff])
  assert.equal(log.state().memberRelay, false)
})

test('messages may be recalled any time by default; only an admin sets a time limit', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const guest = await device()
  const log = createMembershipLog(ws)
  const addGuest = await sign(owner, add(guest, 'guest'), [genesis.id])
  const guestSets = await sign(guest, { type: 'messagePolicy', recallMinutes: 1 }, [addGuest.id])
  log.add([genesis, addGuest, guestSets])
  assert.deepEqual(log.state().messagePolicy, { recallMinutes: null })
  assert.equal(log.rejections().get(guestSets.id), 'not-admin')
  const ownerSets = await sign(owner, { type: 'messagePolicy', recallMinutes: 2 }, [guestSets.id], 3)
  log.add([ownerSets])
  assert.deepEqual(log.state().messagePolicy, { recallMinutes: 2 })
})

test('backups are up to each member by default; only an admin requires or forbids them', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const member = await device()
  const log = createMembershipLog(ws)
  const addMember = await sign(owner, add(member, 'member'), [genesis.id])
  const memberForbids = await sign(member, { type: 'backupPolicy', backups: 'forbidden' }, [addMember.id])
  log.add([genesis, addMember, memberForbids])
  assert.equal(log.state().backupPolicy, 'optional')
  assert.equal(log.rejections().get(memberForbids.id), 'not-admin')
  const ownerRequires = await sign(owner, { type: 'backupPolicy', backups: 'required' }, [memberForbids.id], 3)
  log.add([ownerRequires])
  assert.equal(log.state().backupPolicy, 'required')
})

test('the verifier refuses a wrong signer, another workspace, another signature purpose and tampering', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const mallory = await device()
  const op = await sign(owner, add(mallory), [genesis.id])

  // Claims the owner as author, signed by mallory's key.
  const forged = await signFor(mallory.key, SIGNATURE_DOMAINS.membershipOp, op.signed.bytes)
  await assert.rejects(verifyOp({ bytes: op.signed.bytes, sig: forged }, ws), (e) => e instanceof EnclaveError && e.code === 'wrong-author')
  // The owner's genuine signature, but made for a certificate, not an op.
  const otherPurpose = await signFor(owner.key, SIGNATURE_DOMAINS.memberCertificate, op.signed.bytes)
  await assert.rejects(verifyOp({ bytes: op.signed.bytes, sig: otherPurpose }, ws), (e) => e instanceof EnclaveError && e.code === 'wrong-author')
  // A valid op of another workspace.
  const other = await workspace()
  await assert.rejects(verifyOp(op.signed, other.ws), (e) => e instanceof EnclaveError && e.code === 'wrong-conversation')
  // One flipped byte.
  const tampered = op.signed.bytes.slice()
  tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 1
  await assert.rejects(verifyOp({ bytes: tampered, sig: op.signed.sig }, ws), (e) => e instanceof EnclaveError)
  // Non-canonical encoding of the same content.
  await assert.rejects(verifyOp({ bytes: Uint8Array.from([...canonicalEncode({ a: 1 })]), sig: op.signed.sig }, ws), (e) => e instanceof EnclaveError)
  // And the genuine op passes.
  assert.equal((await verifyOp(op.signed, ws)).id, op.id)
})

test('a genesis op not signed by the workspace root key is refused', async () => {
  const { ws, owner } = await workspace()
  const impostorRoot = await createRootKey()
  const fake = await signOp(impostorRoot, { v: 1, ws, parents: [], author: 'root', ts: 1, body: { type: 'create', name: 'Evil', rootKey: impostorRoot.publicKey.raw, owner: { userId: owner.userId, device: owner.id, profile: profile('x') } } })
  await assert.rejects(verifyOp(fake.signed, ws), (e) => e instanceof EnclaveError && e.code === 'wrong-author')
})

test('replayed ops change nothing: the same op twice, or a used invite redeemed again', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const joiner = await device()
  const second = await device()
  const log = createMembershipLog(ws)
  const invite = await sign(owner, { type: 'invite', inviteId: 'inv-00000001', secretHash: 'a'.repeat(64), role: 'member', expiresAt: 10_000, approval: false }, [genesis.id])
  const redeem = await sign(owner, { type: 'redeem', inviteId: 'inv-00000001', userId: joiner.userId, device: joiner.id, profile: profile('Joe'), at: 5_000 }, [invite.id], 5_000)
  const again = await sign(owner, { type: 'redeem', inviteId: 'inv-00000001', userId: second.userId, device: second.id, profile: profile('Sam'), at: 5_001 }, [redeem.id], 5_001)
  log.add([genesis, invite, redeem])
  assert.deepEqual(log.add([redeem, invite]), [])
  log.add([again])
  assert.equal(roleOf(log, joiner), 'member/active')
  assert.equal(roleOf(log, second), undefined)
  assert.equal(log.rejections().get(again.id), 'invite-used')
})

test('invites expire, can be revoked, and can wait for an admin\'s approval', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [late, revokedJoiner, pending] = await Promise.all([device(), device(), device()])
  const log = createMembershipLog(ws)
  const inv = (id: string, approval = false): Promise<VerifiedOp> => sign(owner, { type: 'invite', inviteId: id, secretHash: 'b'.repeat(64), role: 'guest', expiresAt: 1_000, approval }, [genesis.id])
  const [expiring, revocable, approved] = await Promise.all([inv('inv-expiring'), inv('inv-revoked'), inv('inv-approval', true)])
  const heads = [expiring.id, revocable.id, approved.id].sort()
  const revoke = await sign(owner, { type: 'revokeInvite', inviteId: 'inv-revoked' }, heads)
  const tooLate = await sign(owner, { type: 'redeem', inviteId: 'inv-expiring', userId: late.userId, device: late.id, profile: profile('Late'), at: 1_001 }, [revoke.id], 1_001)
  const afterRevoke = await sign(owner, { type: 'redeem', inviteId: 'inv-revoked', userId: revokedJoiner.userId, device: revokedJoiner.id, profile: profile('R'), at: 500 }, [tooLate.id], 500)
  const waiting = await sign(owner, { type: 'redeem', inviteId: 'inv-approval', userId: pending.userId, device: pending.id, profile: profile('P'), at: 500 }, [afterRevoke.id], 500)
  log.add([genesis, expiring, revocable, approved, revoke, tooLate, afterRevoke, waiting])
  assert.equal(log.rejections().get(tooLate.id), 'invite-expired')
  assert.equal(log.rejections().get(afterRevoke.id), 'invite-revoked')
  assert.equal(roleOf(log, pending), 'guest/pending')
  log.add([await sign(owner, { type: 'approve', userId: pending.userId }, log.heads())])
  assert.equal(roleOf(log, pending), 'guest/active')
})

test('a reusable invite admits as many as it says, into its departments; two redeems racing for the last use leave exactly one in, on every device', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [a, b, c, d] = await Promise.all([device(), device(), device(), device()])
  const dept = await sign(owner, { type: 'department', departmentId: 'dep-sales', parentId: null, name: 'Sales', order: 0 }, [genesis.id])
  const unknownDept = await sign(owner, { type: 'invite', inviteId: 'inv-nodept', secretHash: 'c'.repeat(64), role: 'member', expiresAt: 1_000, approval: false, departments: ['dep-nowhere'] }, [dept.id])
  const team = await sign(owner, { type: 'invite', inviteId: 'inv-team', secretHash: 'b'.repeat(64), role: 'member', expiresAt: 1_000, approval: false, uses: 3, departments: ['dep-sales'] }, [unknownDept.id])
  const redeem = (who: Device, parents: string[]): Promise<VerifiedOp> => sign(owner, { type: 'redeem', inviteId: 'inv-team', userId: who.userId, device: who.id, profile: profile(who.userId), at: 500 }, parents, 500)
  const first = await redeem(a, [team.id])
  const second = await redeem(b, [first.id])
  // c and d redeem the third and last use in two branches that do not know of each other.
  const [third, fourth] = await Promise.all([redeem(c, [second.id]), redeem(d, [second.id])])
  const ops = [genesis, dept, unknownDept, team, first, second, third, fourth]
  const logs = [createMembershipLog(ws), createMembershipLog(ws)]
  logs[0]?.add(ops)
  logs[1]?.add([...ops].reverse())
  for (const log of logs) {
    assert.equal(log.rejections().get(unknownDept.id), 'unknown-department')
    assert.equal(roleOf(log, a), 'member/active')
    assert.deepEqual(log.state().members.get(a.userId)?.departments, ['dep-sales'])
    assert.equal(roleOf(log, b), 'member/active')
    const inC = roleOf(log, c) !== undefined
    const inD = roleOf(log, d) !== undefined
    assert.equal(Number(inC) + Number(inD), 1, 'exactly one of the racing redeems takes the last use')
    assert.equal(log.rejections().get(inC ? fourth.id : third.id), 'invite-used')
    assert.equal(log.state().invites.get('inv-team')?.redeemedBy.length, 3)
  }
  assert.deepEqual(logs[0]?.state().invites.get('inv-team')?.redeemedBy, logs[1]?.state().invites.get('inv-team')?.redeemedBy)
})

test('a member adds a second device of their own, which then acts as them; an admin adds one for a member but not for the owner; nobody adds to someone else\'s account', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [admin, bob, carol] = await Promise.all([device(), device(), device()])
  const [bobLaptop, bobPhone, stolen, ownerSpare] = await Promise.all([device(bob.userId), device(bob.userId), device(), device(owner.userId)])
  const log = createMembershipLog(ws)
  const a = await sign(owner, add(admin, 'admin'), [genesis.id])
  const b = await sign(admin, add(bob), [a.id])
  const c = await sign(admin, add(carol), [b.id])
  const own = await sign(bob, await link(ws, bob.userId, bobLaptop), [c.id])
  // The new device writes as Bob: his profile.
  const fromLaptop = await sign(bobLaptop, { type: 'profile', userId: bob.userId, profile: profile('Bob on the laptop') }, [own.id])
  const byAdmin = await sign(admin, await link(ws, bob.userId, bobPhone), [fromLaptop.id])
  const intoOwner = await sign(admin, await link(ws, owner.userId, ownerSpare), [byAdmin.id])
  const intoCarol = await sign(bob, await link(ws, carol.userId, stolen), [intoOwner.id])
  const twice = await sign(owner, await link(ws, owner.userId, bobPhone), [intoCarol.id])
  log.add([genesis, a, b, c, own, fromLaptop, byAdmin, intoOwner, intoCarol, twice])
  const bobNow = log.state().members.get(bob.userId)
  assert.deepEqual(bobNow?.devices, [bob.id, bobLaptop.id, bobPhone.id])
  assert.equal(bobNow.profile.name, 'Bob on the laptop')
  assert.equal(log.state().devices.get(bobPhone.id), bob.userId)
  assert.equal(log.rejections().get(intoOwner.id), 'cannot-touch-owner')
  assert.equal(log.rejections().get(intoCarol.id), 'not-admin')
  assert.equal(log.rejections().get(twice.id), 'device-taken')
})

test('nobody adds a device whose key they do not hold: the added device signs its own link, for this account only', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [bob, victim] = await Promise.all([device(), device()])
  const b = await sign(owner, add(bob), [genesis.id])
  // Bob claims the victim's device (its id is public) with a proof he made himself, or one the victim gave for another account.
  const forged = await sign(bob, { type: 'addDevice', userId: bob.userId, device: victim.id, proof: await deviceLinkProof(bob.key, ws, bob.userId, victim.id) }, [b.id])
  const elsewhere = await sign(bob, { type: 'addDevice', userId: bob.userId, device: victim.id, proof: await deviceLinkProof(victim.key, ws, owner.userId, victim.id) }, [b.id])
  for (const op of [forged, elsewhere]) {
    await assert.rejects(verifyOp(op.signed, ws), (e) => e instanceof EnclaveError && e.code === 'wrong-author')
  }
  const genuine = await sign(bob, await link(ws, bob.userId, victim), [b.id])
  assert.equal((await verifyOp(genuine.signed, ws)).id, genuine.id)
})

test('a lost device is taken away: it is refused, what it wrote meanwhile is dropped, it never comes back, and a member keeps at least one device', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const bob = await device()
  const [laptop, other] = await Promise.all([device(bob.userId), device(bob.userId)])
  const log = createMembershipLog(ws)
  const b = await sign(owner, add(bob), [genesis.id])
  const l = await sign(bob, await link(ws, bob.userId, laptop), [b.id])
  // The thief renames Bob from the laptop while Bob, unaware, takes the laptop away.
  const thief = await sign(laptop, { type: 'profile', userId: bob.userId, profile: profile('Not Bob') }, [l.id])
  const takeAway = await sign(bob, { type: 'removeDevice', userId: bob.userId, device: laptop.id }, [l.id])
  const after = await sign(laptop, { type: 'profile', userId: bob.userId, profile: profile('Still not Bob') }, [takeAway.id, thief.id])
  const back = await sign(bob, await link(ws, bob.userId, laptop), [after.id, takeAway.id])
  const unknown = await sign(bob, { type: 'removeDevice', userId: bob.userId, device: other.id }, [back.id])
  const last = await sign(owner, { type: 'removeDevice', userId: bob.userId, device: bob.id }, [unknown.id])
  log.add([genesis, b, l, thief, takeAway, after, back, unknown, last])
  assert.equal(log.rejections().get(thief.id), 'concurrent-with-removal')
  // Anything it writes that is not in the removal's past is dropped the same way.
  assert.equal(log.rejections().get(after.id), 'concurrent-with-removal')
  assert.equal(log.rejections().get(back.id), 'device-taken')
  assert.equal(log.rejections().get(unknown.id), 'unknown-device')
  assert.equal(log.rejections().get(last.id), 'last-device')
  assert.deepEqual(log.state().members.get(bob.userId)?.devices, [bob.id])
  assert.equal(log.state().members.get(bob.userId)?.profile.name, `user ${bob.userId.slice(0, 4)}`)
  assert.ok(log.state().removedDevices.has(laptop.id))
})

test('a member has at most ten devices', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const bob = await device()
  const spares = await Promise.all(Array.from({ length: 10 }, () => device(bob.userId)))
  const ops = [genesis, await sign(owner, add(bob), [genesis.id])]
  for (const spare of spares) ops.push(await sign(bob, await link(ws, bob.userId, spare), [ops.at(-1)!.id]))
  const log = createMembershipLog(ws)
  log.add(ops)
  assert.equal(log.state().members.get(bob.userId)?.devices.length, 10)
  assert.equal(log.rejections().get(ops.at(-1)!.id), 'too-many-devices')
})

test('only the owner makes admins; admins manage members but not other admins or the owner', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [admin, admin2, member] = await Promise.all([device(), device(), device()])
  const log = createMembershipLog(ws)
  const a1 = await sign(owner, add(admin, 'admin'), [genesis.id])
  const a2 = await sign(owner, add(admin2, 'admin'), [a1.id])
  const m = await sign(admin, add(member), [a2.id])
  const promote = await sign(admin, { type: 'role', userId: member.userId, role: 'admin' }, [m.id])
  const removeAdmin = await sign(admin, { type: 'remove', userId: admin2.userId }, [promote.id])
  const removeOwner = await sign(admin, { type: 'remove', userId: owner.userId }, [removeAdmin.id])
  const demote = await sign(admin, { type: 'role', userId: member.userId, role: 'guest' }, [removeOwner.id])
  log.add([genesis, a1, a2, m, promote, removeAdmin, removeOwner, demote])
  assert.equal(log.rejections().get(promote.id), 'owner-only')
  assert.equal(log.rejections().get(removeAdmin.id), 'owner-only')
  assert.equal(log.rejections().get(removeOwner.id), 'cannot-touch-owner')
  assert.equal(roleOf(log, member), 'guest/active')
  assert.equal(roleOf(log, admin2), 'admin/active')
})

test('the owner hands the workspace over: the new owner rules admins, the old one is an admin who may leave, and an admin cannot take it', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [admin, member] = await Promise.all([device(), device()])
  const log = createMembershipLog(ws)
  const a = await sign(owner, add(admin, 'admin'), [genesis.id])
  const m = await sign(owner, add(member), [a.id])
  const grab = await sign(admin, { type: 'role', userId: admin.userId, role: 'owner' }, [m.id])
  const ownerLeaves = await sign(owner, { type: 'remove', userId: owner.userId }, [grab.id])
  const handOver = await sign(owner, { type: 'role', userId: member.userId, role: 'owner' }, [ownerLeaves.id])
  const takeBack = await sign(owner, { type: 'role', userId: member.userId, role: 'admin' }, [handOver.id])
  const demoteAdmin = await sign(member, { type: 'role', userId: admin.userId, role: 'member' }, [takeBack.id])
  const oldOwnerLeaves = await sign(owner, { type: 'remove', userId: owner.userId }, [demoteAdmin.id])
  log.add([genesis, a, m, grab, ownerLeaves, handOver, takeBack, demoteAdmin, oldOwnerLeaves])
  assert.equal(log.rejections().get(grab.id), 'cannot-touch-owner')
  assert.equal(log.rejections().get(ownerLeaves.id), 'cannot-touch-owner', 'the owner cannot simply leave')
  assert.equal(log.rejections().get(takeBack.id), 'cannot-touch-owner', 'only the new owner can hand it back')
  assert.equal(roleOf(log, member), 'owner/active')
  assert.equal(roleOf(log, admin), 'member/active')
  assert.equal(log.rejections().get(oldOwnerLeaves.id), undefined)
  assert.equal(roleOf(log, owner), undefined)
  assert.ok(log.state().removed.has(owner.userId), 'the old owner, an admin by then, left')
})

test('removal wins: what a removed admin did concurrently with the removal is void', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [admin, newcomer, friend] = await Promise.all([device(), device(), device()])
  const base = await sign(owner, add(admin, 'admin'), [genesis.id])
  // Concurrently: the owner removes the admin; the admin adds a newcomer, who adds a friend.
  const removal = await sign(owner, { type: 'remove', userId: admin.userId }, [base.id])
  const sneaky = await sign(admin, add(newcomer), [base.id])
  const chained = await sign(admin, { type: 'profile', userId: newcomer.userId, profile: profile('Renamed') }, [sneaky.id])
  const friendOp = await sign(newcomer, add(friend), [chained.id])
  for (const arrival of [[genesis, base, removal, sneaky, chained, friendOp], [friendOp, chained, sneaky, base, genesis, removal]]) {
    const log = createMembershipLog(ws)
    log.add(arrival)
    assert.equal(roleOf(log, admin), undefined)
    assert.equal(roleOf(log, newcomer), undefined)
    assert.equal(log.rejections().get(sneaky.id), 'concurrent-with-removal')
  }
})

test('concurrent ops of two admins order the same way on every peer (ties break by hash)', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const [a, b, m] = await Promise.all([device(), device(), device()])
  const addA = await sign(owner, add(a, 'admin'), [genesis.id])
  const addB = await sign(owner, add(b, 'admin'), [addA.id])
  const addM = await sign(owner, add(m), [addB.id])
  // Both admins act on the same member at the same time.
  const aRemoves = await sign(a, { type: 'remove', userId: m.userId }, [addM.id])
  const bDemotes = await sign(b, { type: 'role', userId: m.userId, role: 'guest' }, [addM.id])
  const bRenames = await sign(b, { type: 'profile', userId: m.userId, profile: profile('Renamed') }, [bDemotes.id])
  const logs = [createMembershipLog(ws), createMembershipLog(ws)]
  logs[0]!.add([genesis, addA, addB, addM, aRemoves, bDemotes, bRenames])
  logs[1]!.add([bRenames, bDemotes, aRemoves, addM, addB, addA, genesis])
  assert.deepEqual(logs[0]!.ordered().map((o) => o.id), logs[1]!.ordered().map((o) => o.id))
  for (const log of logs) {
    assert.equal(roleOf(log, m), undefined)
    assert.equal(log.rejections().get(bRenames.id), 'unknown-user')
  }
})

test('departments nest at least 15 levels; deleting one moves its children up', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const log = createMembershipLog(ws)
  log.add([genesis])
  let parent: string | null = null
  for (let level = 0; level < 16; level++) {
    const id = `dept-level-${String(level).padStart(2, '0')}`
    log.add([await sign(owner, { type: 'department', departmentId: id, parentId: parent, name: `Level ${level}`, order: level }, log.heads())])
    parent = id
  }
  assert.equal(log.state().departments.size, 16)
  assert.equal(log.state().departments.get('dept-level-15')?.parentId, 'dept-level-14')
  log.add([await sign(owner, { type: 'deleteDepartment', departmentId: 'dept-level-14' }, log.heads())])
  assert.equal(log.state().departments.get('dept-level-15')?.parentId, 'dept-level-13')
})

test('since() gives a peer exactly the ops it lacks, parents first', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const full = createMembershipLog(ws)
  full.add([genesis])
  for (let i = 0; i < 5; i++) full.add([await sign(owner, add(await device()), full.heads())])
  const partial = createMembershipLog(ws)
  partial.add(full.ordered().slice(0, 3))
  const delta = full.since(partial.heads())
  assert.equal(delta.length, 3)
  partial.add(delta)
  assert.deepEqual(partial.heads(), full.heads())
  assert.equal(partial.state().members.size, 6)
})

test('property: concurrent admin ops converge to one state whatever the delivery order', async () => {
  const { ws, owner, genesis, sign } = await workspace()
  const admins = await Promise.all([device(), device()])
  const spare = await Promise.all(Array.from({ length: 6 }, () => device()))
  let head = genesis.id
  const base: VerifiedOp[] = [genesis]
  for (const d of [...admins.map((a) => ({ d: a, role: 'admin' as const })), ...spare.slice(0, 3).map((s) => ({ d: s, role: 'member' as const }))]) {
    const op = await sign(owner, add(d.d, d.role), [head])
    base.push(op)
    head = op.id
  }
  const actors = [owner, ...admins]
  const targets = [...admins, ...spare]
  const action = fc.record({
    actor: fc.nat({ max: actors.length - 1 }),
    kind: fc.constantFrom('add', 'remove', 'role', 'department'),
    target: fc.nat({ max: targets.length - 1 }),
    role: fc.constantFrom<Role>('admin', 'member', 'guest')
  })

  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), async (actions, seeds) => {
    // Each actor works on its own fork from the shared base: all forks are concurrent.
    const tips = new Map<number, string>()
    const forks: VerifiedOp[] = []
    for (const [n, a] of actions.entries()) {
      const actor = actors[a.actor]!
      const target = targets[a.target]!
      const body: OpBodyInput = a.kind === 'add' ? add(target, a.role)
        : a.kind === 'remove' ? { type: 'remove', userId: target.userId }
          : a.kind === 'role' ? { type: 'role', userId: target.userId, role: a.role }
            : { type: 'department', departmentId: `dept-${n}-${a.actor}`, parentId: null, name: `D${n}`, order: n }
      const op = await sign(actor, body, [tips.get(a.actor) ?? head], 10 + n)
      tips.set(a.actor, op.id)
      forks.push(op)
    }
    const all = [...base, ...forks]
    const views = seeds.map((seed) => {
      // A different arrival order per peer, delivered in two batches.
      const shuffled = [...all].sort((x, y) => ((x.id.charCodeAt(seed % 64) * 31 + seed) % 97) - ((y.id.charCodeAt(seed % 64) * 31 + seed) % 97))
      const log = createMembershipLog(ws)
      log.add(shuffled.slice(0, seed % all.length))
      log.add(shuffled.slice(seed % all.length))
      const state = log.state()
      const owners = [...state.members.values()].filter((m) => m.role === 'owner')
      assert.equal(owners.length, 1, 'exactly one owner')
      for (const id of state.removed) assert.ok(!state.members.has(id), 'removed users are gone')
      return JSON.stringify({ order: log.ordered().map((o) => o.id), members: [...state.members.values()].sort((x, y) => x.userId.localeCompare(y.userId)), departments: [...state.departments.keys()].sort() })
    })
    assert.equal(new Set(views).size, 1)
  }), { numRuns: 40 })
})
