/**
 * For tests of the workspace protocols: a real workspace (root key, genesis, an admin device, a
 * member and an open invite), its log in memory and a registry over a throwaway store, so a
 * protocol handler can be driven with the bytes a peer would send. Nothing here is used by the core.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { issueCertificate, CERTIFICATE_LIFETIME_MS, type SignedCertificate } from '../identity/certificate.js'
import { inviteSecretHash, newInviteSecret } from '../identity/invite-link.js'
import { createMembershipLog, type MembershipLog } from '../identity/membership-log.js'
import { signOp, type VerifiedOp } from '../identity/membership-op.js'
import { createRootKey, workspaceIdOf } from '../identity/workspace-key.js'
import { parseUserId, parseWorkspaceId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { openStore } from '../store/store.js'
import { createWorkspaceRegistry, type WorkspaceRegistry } from './workspace-registry.js'
import type { UserId, WorkspaceId } from '../api/contract.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export interface TestDeviceKey { key: PrivateKey; peerId: PeerId; id: string; userId: UserId }

export interface TestWorkspace {
  ws: WorkspaceId
  /** The owner's device: an active admin that can issue certificates and admit joiners. */
  admin: TestDeviceKey
  /** An active member's device. */
  member: TestDeviceKey
  /** Genesis, the member's `add` and the invite, in log order. */
  ops: VerifiedOp[]
  log: MembershipLog
  invite: { inviteId: string; secret: Uint8Array }
  /** A current certificate for the member, issued by the admin. */
  memberCertificate: SignedCertificate
  /** A registry holding the workspace (as the admin's device has it), over a throwaway store. */
  registry: WorkspaceRegistry
  close(): Promise<void>
}

async function deviceKey(userId: string): Promise<TestDeviceKey> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key)
  return { key, peerId, id: peerId.toString(), userId: parseUserId(userId) }
}

export async function createTestWorkspace(): Promise<TestWorkspace> {
  const root = await createRootKey()
  const ws = parseWorkspaceId(workspaceIdOf(root.publicKey))
  const admin = await deviceKey('owner-0001')
  const member = await deviceKey('member-0001')
  const genesis = await signOp(root, { v: 1, ws, parents: [], author: 'root', ts: 1, body: { type: 'create', name: 'Acme', rootKey: root.publicKey.raw, owner: { userId: admin.userId, device: admin.id, profile: { name: 'Olivia' } } } })
  const add = await signOp(admin.key, { v: 1, ws, parents: [genesis.id], author: admin.id, ts: 2, body: { type: 'add', userId: member.userId, device: member.id, role: 'member', profile: { name: 'Max', title: 'Engineer' } } })
  const invite = { inviteId: 'inv-0123456789ab', secret: newInviteSecret() }
  const offer = await signOp(admin.key, { v: 1, ws, parents: [add.id], author: admin.id, ts: 3, body: { type: 'invite', inviteId: invite.inviteId, secretHash: inviteSecretHash(invite.secret), role: 'member', expiresAt: Date.now() + 3_600_000, approval: false } })
  const ops = [genesis, add, offer]
  const log = createMembershipLog(ws)
  log.add(ops)
  const now = Date.now()
  const issued = (await issueCertificate(admin.key, { ws, userId: member.userId, device: member.id, role: 'member', issuedAt: now, expiresAt: now + CERTIFICATE_LIFETIME_MS, mlsKey: null, issuer: admin.id })).signed
  // As a peer's frame decodes it: plain byte arrays, not the Buffers signing may return.
  const memberCertificate = { bytes: new Uint8Array(issued.bytes), sig: new Uint8Array(issued.sig) }
  const dir = await mkdtemp(join(tmpdir(), 'enclave-test-workspace-'))
  const store = await openStore({ path: dir, log: createMemoryLogger() })
  const registry = await createWorkspaceRegistry(store, createMemoryLogger())
  await registry.adopt({ ws, userId: admin.userId, joinedAt: now, certificate: null }, ops)
  return {
    ws, admin, member, ops, log, invite, memberCertificate, registry,
    close: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
