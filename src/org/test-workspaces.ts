/**
 * For unit tests of the membership protocols: a workspace made with real keys and signatures,
 * devices that sign ops, registries over their own LevelDB stores, and libp2p stream pairs to
 * run a protocol's two sides in one process. Nothing here is used by the core.
 */
// Stream pairs wait on backpressure with Promise.withResolvers, which Node 20 lacks.
import '../net/node-shims.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { parseUserId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { MAX_PARENTS, signOp, type OpBodyInput, type VerifiedOp } from '../identity/membership-op.js'
import { createRootKey, workspaceIdOf, type WorkspaceId } from '../identity/workspace-key.js'
import { openStore, type Store } from '../store/store.js'
import { createWorkspaceRegistry, type WorkspaceRegistry, type WorkspaceRegistryInit } from './workspace-registry.js'
import type { Connection, PrivateKey, Stream } from '@libp2p/interface'

export interface TestDevice { key: PrivateKey; id: string; userId: string }

export async function testDevice(userId = `user-${Math.random().toString(36).slice(2, 12)}`): Promise<TestDevice> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString(), userId }
}

export interface TestWorkspace {
  ws: WorkspaceId
  owner: TestDevice
  genesis: VerifiedOp
  /** Signs an op by `by` on top of `parents`. */
  sign(by: TestDevice, body: OpBodyInput, parents: string[], ts?: number): Promise<VerifiedOp>
}

export async function testWorkspace(): Promise<TestWorkspace> {
  const root = await createRootKey()
  const ws = workspaceIdOf(root.publicKey)
  const owner = await testDevice('owner-0000')
  const genesis = await signOp(root, { v: 1, ws, parents: [], author: 'root', ts: 1, body: { type: 'create', name: 'Acme', rootKey: root.publicKey.raw, owner: { userId: owner.userId, device: owner.id, profile: { name: 'Olivia' } } } })
  const sign = (by: TestDevice, body: OpBodyInput, parents: string[], ts = 2): Promise<VerifiedOp> => signOp(by.key, { v: 1, ws, parents: parents.slice(-MAX_PARENTS), author: by.id, ts, body })
  return { ws, owner, genesis, sign }
}

/** A chain of ops: each on top of the one before (the owner adding members, say). */
export async function chain(t: TestWorkspace, steps: Array<{ by: TestDevice; body: OpBodyInput }>, after: VerifiedOp = t.genesis): Promise<VerifiedOp[]> {
  const out: VerifiedOp[] = []
  let last = after
  for (const { by, body } of steps) {
    last = await t.sign(by, body, [last.id])
    out.push(last)
  }
  return out
}

export interface TestRegistry {
  registry: WorkspaceRegistry
  store: Store
  log: ReturnType<typeof createMemoryLogger>
  close(): Promise<void>
}

/** A registry on a fresh store holding `ops` of the workspace, as `userId`. */
export async function testRegistry(t: TestWorkspace, userId: string, ops: VerifiedOp[], init: WorkspaceRegistryInit = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-org-'))
  const log = createMemoryLogger()
  const store = await openStore({ path: join(dir, 'store'), log })
  const registry = await createWorkspaceRegistry(store, log, init)
  await registry.adopt({ ws: t.ws, userId: parseUserId(userId), joinedAt: 1, certificate: null }, ops)
  return { registry, store, log, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }) } }
}

/** A stream pair between two devices: the asker's end, and the server's end with its connection. */
export async function testStreams(asker: TestDevice): Promise<{ asker: Stream; server: Stream; connection: Connection }> {
  const [a, b] = await streamPair()
  return { asker: a, server: b, connection: { remotePeer: peerIdFromPrivateKey(asker.key) } as unknown as Connection }
}

/**
 * The owner adds `n` members, then each member edits their own profile at once (all on top of
 * the last add): a layer `n` ops wide, so the log has `n` heads, more than any exchange names.
 */
export async function wideLog(t: TestWorkspace, n: number, pictureBytes = 0): Promise<{ ops: VerifiedOp[]; members: TestDevice[] }> {
  const members = await Promise.all(Array.from({ length: n }, () => testDevice()))
  const adds = await chain(t, members.map((m) => ({ by: t.owner, body: { type: 'add' as const, userId: m.userId, device: m.id, role: 'member' as const, profile: { name: 'M' } } })))
  const top = adds.at(-1)?.id ?? t.genesis.id
  // An inline picture (as ops from before pictures left the log carry them) makes the ops as large as wanted.
  const avatar = pictureBytes > 0 ? { avatar: `data:image/png;base64,${'A'.repeat(Math.ceil(pictureBytes / 3) * 4)}` } : {}
  const edits = await Promise.all(members.map((m) => t.sign(m, { type: 'profile', userId: m.userId, profile: { name: 'M', title: 'Engineer', ...avatar } }, [top])))
  return { ops: [t.genesis, ...adds, ...edits], members }
}
