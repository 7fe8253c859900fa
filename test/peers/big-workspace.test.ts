/**
 * Issue 13, item 2: a workspace of 300 members who all set a picture. 250 of them did so before
 * pictures left the log (their profile ops carry ~40 KiB inline, ~12 MB of log in all: the
 * size that made every 2.0.0 sync and join reply fail with `too-large`); 50 did so since (a
 * reference; the owner's device holds the bytes). Their 600 ops are signed with real keys and
 * written into the owner's store while its node is stopped, as an older store would hold them;
 * all 300 profile ops were written concurrently, so the log has ~300 heads. Then real nodes:
 * newcomers join through the owner, see the pictures, and a removal reaches every member.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateDeviceKey } from '../../src/identity/device-key.js'
import { signOp, type AvatarRef, type VerifiedOp } from '../../src/identity/membership-op.js'
import { createLogger } from '../../src/logger.js'
import { createWorkspaceRegistry } from '../../src/org/workspace-registry.js'
import { loadDataKey } from '../../src/store/store-key.js'
import { openStore } from '../../src/store/store.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { MemberView, WorkspaceId } from '../../src/api/contract.js'

const MEMBERS = 300
const INLINE = 250

let owner: NodeProcess
const others: NodeProcess[] = []
let workspaceId: WorkspaceId
let logBytes = 0

/** Signs 300 adds (by the owner's device) and 300 concurrent profile ops (each by its member) into the owner's stopped store. */
async function seed(dataDir: string, ws: WorkspaceId): Promise<void> {
  const dataKey = await loadDataKey(dataDir, { kind: 'key-file', path: join(dataDir, 'store.key') })
  const log = createLogger('seed', { level: 'warn' })
  const store = await openStore({ path: join(dataDir, 'store'), log, dataKey })
  try {
    const key = await loadOrCreateDeviceKey(store.collection('meta'))
    const self = peerIdFromPrivateKey(key).toString()
    const w = (await createWorkspaceRegistry(store, log)).get(ws)
    assert.ok(w !== undefined)
    const ops: VerifiedOp[] = []
    let parents = w.log.heads()
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => generateKeyPair('Ed25519')))
    for (const [i, member] of members.entries()) {
      const device = peerIdFromPrivateKey(member).toString()
      const add = await signOp(key, { v: 1, ws, parents, author: self, ts: Date.now(), body: { type: 'add', userId: `member-${String(i).padStart(4, '0')}`, device, role: 'member', profile: { name: `成员 ${i}` } } })
      ops.push(add)
      parents = [add.id]
    }
    const pictures = store.collection<{ type: string; data: string }>('avatars')
    for (const [i, member] of members.entries()) {
      let avatar: string | AvatarRef
      if (i < INLINE) {
        avatar = `data:image/webp;base64,${Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 '), randomBytes(30_000)]).toString('base64')}`
      } else {
        const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(6_000)])
        avatar = { sha256: createHash('sha256').update(bytes).digest('hex'), type: 'image/png', size: bytes.byteLength }
        await pictures.put(avatar.sha256, { type: 'image/png', data: bytes.toString('base64') })
      }
      const device = peerIdFromPrivateKey(member).toString()
      ops.push(await signOp(member, { v: 1, ws, parents, author: device, ts: Date.now(), body: { type: 'profile', userId: `member-${String(i).padStart(4, '0')}`, profile: { name: `成员 ${i}`, title: 'Engineer', avatar } } }))
    }
    const batch = store.batch()
    const opsOnDisk = store.collection<{ bytes: string; sig: string }>('membershipOps')
    for (const op of ops) {
      batch.put(opsOnDisk, `${ws}!${op.id}`, { bytes: Buffer.from(op.signed.bytes).toString('base64'), sig: Buffer.from(op.signed.sig).toString('base64') })
      logBytes += op.signed.bytes.byteLength + op.signed.sig.byteLength
    }
    await batch.write()
  } finally {
    await store.close()
  }
}

async function invite(): Promise<string> {
  return (await owner.api.call('workspaces.invite', { workspaceId })).link
}

const members = (node: NodeProcess): Promise<MemberView[]> => node.api.call('workspaces.members', { workspaceId })

before(async () => {
  const dir = await makeDataDir('big-owner')
  owner = await startNode(dir)
  await owner.api.call('profile.set', { displayName: 'Olivia' })
  workspaceId = (await owner.api.call('workspaces.create', { name: 'Big Co' })).id
  await owner.stop()
  await seed(dir, workspaceId)
  owner = await startNode(dir)
})

after(async () => {
  await Promise.all([owner, ...others].map((n) => n.stop()))
  await Promise.all([owner, ...others].map((n) => removeDataDir(n.dataDir)))
})

test('newcomers join a 300-member workspace with pictures, and see the pictures', async (t) => {
  assert.equal((await owner.api.call('workspaces.list', {}))[0]?.memberCount, MEMBERS + 1)
  const started = await startAll(['bob', 'carol', 'dave'].map(async (name) => startNode(await makeDataDir(`big-${name}`))))
  others.push(...started)
  for (const node of started) {
    const t0 = performance.now()
    const joined = await node.api.call('workspaces.join', { link: await invite() })
    t.diagnostic(`join of a ${(logBytes / 1048576).toFixed(1)} MiB log: ${(performance.now() - t0).toFixed(0)} ms`)
    assert.equal(joined.status, 'active')
  }
  const [bob] = started
  assert.ok(bob !== undefined)
  assert.equal((await bob.api.call('workspaces.list', {}))[0]?.memberCount, MEMBERS + 4)
  // Inline pictures show at once; referenced ones once fetched from a member who has them.
  const seen = await waitFor('bob to have every picture', async () => {
    const list = await members(bob)
    const pictured = list.filter((m) => m.name.startsWith('成员 ') && m.avatar !== null)
    return pictured.length === MEMBERS ? list : undefined
  }, { timeoutMs: 30_000 })
  assert.match(seen.find((m) => m.name === '成员 0')?.avatar ?? '', /^data:image\/webp;base64,/)
  assert.match(seen.find((m) => m.name === `成员 ${MEMBERS - 1}`)?.avatar ?? '', /^data:image\/png;base64,/)
})

test('a removal reaches every member', async () => {
  const [bob, carol, dave] = others
  assert.ok(bob !== undefined && carol !== undefined && dave !== undefined)
  const victim = (await members(owner)).find((m) => m.devices.includes(dave.peerId))
  const absent = (await members(owner)).find((m) => m.name === '成员 7')
  assert.ok(victim !== undefined && absent !== undefined)
  await owner.api.call('workspaces.removeMember', { workspaceId, userId: victim.userId })
  await owner.api.call('workspaces.removeMember', { workspaceId, userId: absent.userId })
  for (const node of [bob, carol]) {
    await waitFor('the removals to reach every member', async () => {
      const ids = new Set((await members(node)).map((m) => m.userId))
      return !ids.has(victim.userId) && !ids.has(absent.userId)
    })
  }
  await waitFor('dave to learn that he was removed', async () => (await dave.api.call('workspaces.list', {}))[0]?.status === 'removed')
  assert.equal((await bob.api.call('workspaces.list', {}))[0]?.memberCount, MEMBERS + 4 - 2)
})
