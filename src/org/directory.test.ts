import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMembershipLog } from '../identity/membership-log.js'
import { parseUserId } from '../ids.js'
import { signOp, type OpBodyInput } from '../identity/membership-op.js'
import { createRootKey, workspaceIdOf } from '../identity/workspace-key.js'
import { createDirectory } from './directory.js'
import type { Workspace } from './workspace-registry.js'

async function company(): Promise<{ w: Workspace; act: (body: OpBodyInput) => Promise<void> }> {
  const root = await createRootKey()
  const ws = workspaceIdOf(root.publicKey)
  const ownerKey = await generateKeyPair('Ed25519')
  const owner = peerIdFromPrivateKey(ownerKey).toString()
  const log = createMembershipLog(ws)
  log.add([await signOp(root, { v: 1, ws, parents: [], author: 'root', ts: 1, body: { type: 'create', name: 'Acme', rootKey: root.publicKey.raw, owner: { userId: 'owner-0001', device: owner, profile: { name: '王老板' } } } })])
  const act = async (body: OpBodyInput): Promise<void> => { log.add([await signOp(ownerKey, { v: 1, ws, parents: log.heads(), author: owner, ts: 2, body })]) }
  return { w: { record: { ws, userId: parseUserId('owner-0001'), joinedAt: 1, certificate: null }, log }, act }
}

async function deviceId(): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

test('finds members by pinyin and initials, limited to a department subtree, and follows profile changes', async () => {
  const { w, act } = await company()
  await act({ type: 'department', departmentId: 'dep-engineering', parentId: null, name: '研发部', order: 0 })
  await act({ type: 'department', departmentId: 'dep-platform', parentId: 'dep-engineering', name: '平台组', order: 0 })
  await act({ type: 'department', departmentId: 'dep-sales', parentId: null, name: '销售部', order: 1 })
  await act({ type: 'add', userId: 'user-zhangsan', device: await deviceId(), role: 'member', profile: { name: '张三', title: '工程师' } })
  await act({ type: 'add', userId: 'user-zhangsi1', device: await deviceId(), role: 'member', profile: { name: '张思' } })
  await act({ type: 'assign', userId: 'user-zhangsan', departments: ['dep-platform'] })
  await act({ type: 'assign', userId: 'user-zhangsi1', departments: ['dep-sales'] })

  const directory = createDirectory({ contactOf: (p) => ({ ...(p.phone === undefined ? {} : { phone: p.phone }), ...(p.email === undefined ? {} : { email: p.email }) }), contactsVersion: () => 0 })
  assert.deepEqual(directory.search(w, { query: 'zhangsan' }), ['user-zhangsan'])
  assert.deepEqual(new Set(directory.search(w, { query: 'zs' })), new Set(['user-zhangsan', 'user-zhangsi1']))
  // The engineering subtree includes its platform team, and only it.
  assert.deepEqual(directory.search(w, { query: 'zs', departmentId: 'dep-engineering' }), ['user-zhangsan'])

  await act({ type: 'profile', userId: 'user-zhangsi1', profile: { name: '李思' } })
  assert.deepEqual(directory.search(w, { query: 'zs' }), ['user-zhangsan'])
  assert.deepEqual(directory.search(w, { query: 'lisi' }), ['user-zhangsi1'])
  await act({ type: 'remove', userId: 'user-zhangsan' })
  assert.deepEqual(directory.search(w, { query: 'zhangsan' }), [])
})
