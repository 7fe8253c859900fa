/**
 * Part of `npm run bench:directory`: a 20,000-member workspace log — verifying and replaying it
 * from disk form, and syncing it to a new member over a real libp2p connection — next to a raw
 * libp2p stream moving the same bytes in the same run. And the log replayed at start as a
 * restart does it: through the real store (LevelDB, sealed values, the workspace registry), once
 * in this process and then as a freshly started `enclave node` with the page cache dropped,
 * next to the same start of a node that belongs to no workspace.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMembershipLog } from '../src/identity/membership-log.js'
import { readStoredOp, signOp, verifyOp, type VerifiedOp } from '../src/identity/membership-op.js'
import { createRootKey, workspaceIdOf } from '../src/identity/workspace-key.js'
import { parseUserId } from '../src/ids.js'
import { createLogger } from '../src/logger.js'
import { createNetNode } from '../src/net/libp2p-node.js'
import { MEMBERSHIP_PROTOCOL, serveSync, syncFully } from '../src/org/membership-sync.js'
import { createWorkspaceRegistry, type WorkspaceRecord } from '../src/org/workspace-registry.js'
import { openStore } from '../src/store/store.js'
import { makeDataDir, removeDataDir, startNode } from '../test/helpers/node-process.js'
import { nodeDataKey, openNodeStore } from './node-store.js'
import { describeDrop, dropPageCache, type CacheDrop } from './page-cache.js'
import { printTable, summarize, writeResults } from './stats.js'

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 20_000)
/** Node starts timed per data folder, each after a page cache drop. */
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3)
const log = createLogger('bench', { level: 'warn' })
const ms = (from: number): number => performance.now() - from

/** Starts `enclave node` on `dataDir` after dropping the page cache; ms until its API lists the workspace with every member. */
async function coldStart(dataDir: string, members: number): Promise<{ ms: number; drop: CacheDrop }> {
  const drop = await dropPageCache([dataDir])
  const t0 = performance.now()
  const node = await startNode(dataDir)
  try {
    const count = (await node.api.call('workspaces.list', {}))[0]?.memberCount ?? 0
    if (count !== members) throw new Error(`the restarted node sees ${count} members, not ${members}`)
    return { ms: performance.now() - t0, drop }
  } finally {
    await node.stop()
  }
}

// Two devices made by real nodes: one about to be a member of the big workspace, one of none.
const restartDir = await makeDataDir('bench-restart')
const emptyDir = await makeDataDir('bench-restart-empty')
const restarter = await startNode(restartDir)
await restarter.stop()
await (await startNode(emptyDir)).stop()

// A workspace where the owner added every member, one op after another (the worst case for
// replay: one long chain of signed ops).
const root = await createRootKey()
const ws = workspaceIdOf(root.publicKey)
const ownerKey = await generateKeyPair('Ed25519')
const owner = peerIdFromPrivateKey(ownerKey).toString()
const newcomerKey = await generateKeyPair('Ed25519')
const newcomer = peerIdFromPrivateKey(newcomerKey).toString()
const ops: VerifiedOp[] = [await signOp(root, { v: 1, ws, parents: [], author: 'root', ts: 1, body: { type: 'create', name: 'Bench Co', rootKey: root.publicKey.raw, owner: { userId: 'owner-00000000', device: owner, profile: { name: 'Owner' } } } })]
const deviceIds = await Promise.all(Array.from({ length: 64 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
process.stdout.write(`signing ${MEMBERS.toLocaleString('en-US')} add ops…\n`)
for (let i = 0; i < MEMBERS; i++) {
  // Members never sign here, so their device ids only need to be distinct and well formed.
  const device = i === MEMBERS - 1 ? newcomer : i === MEMBERS - 2 ? restarter.peerId : (deviceIds[i % 64] ?? '').slice(0, 46) + String(i).padStart(6, '0').replace(/0/g, 'A')
  ops.push(await signOp(ownerKey, { v: 1, ws, parents: [ops.at(-1)?.id ?? ''], author: owner, ts: 2 + i, body: { type: 'add', userId: `user-${String(i).padStart(8, '0')}`, device, role: 'member', profile: { name: `成员 ${i}`, title: 'Engineer' } } }))
}
const totalBytes = ops.reduce((n, op) => n + op.signed.bytes.byteLength + op.signed.sig.byteLength, 0)

// What a device does with ops from outside: verify every signature.
let t = performance.now()
for (const op of ops) await verifyOp(op.signed, ws)
const verifyMs = ms(t)
// What a device does at every start: read its stored log and compute the state.
t = performance.now()
const stored: VerifiedOp[] = []
for (const op of ops) stored.push(await readStoredOp(op.signed, ws))
const replayed = createMembershipLog(ws)
replayed.add(stored.reverse())
const members = replayed.state().members.size
const replayMs = ms(t)

// Sync to a new member over libp2p (TCP, Noise, Yamux), two nodes in this process.
const dirs = await Promise.all([mkdtemp(join(tmpdir(), 'bench-a-')), mkdtemp(join(tmpdir(), 'bench-b-'))])
const [storeA, storeB] = await Promise.all(dirs.map((d) => openStore({ path: join(d, 'store'), log })))
const nodeA = await createNetNode({ privateKey: ownerKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
const nodeB = await createNetNode({ privateKey: newcomerKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
try {
  const registryA = await createWorkspaceRegistry(storeA!, log)
  const registryB = await createWorkspaceRegistry(storeB!, log)
  await registryA.adopt({ ws, userId: parseUserId('owner-00000000'), joinedAt: 1, certificate: null }, ops)
  const workspaceB = await registryB.adopt({ ws, userId: parseUserId(`user-${String(MEMBERS - 1).padStart(8, '0')}`), joinedAt: 1, certificate: null }, [])
  const noop = { onChanged: () => undefined, onAdmitted: () => undefined }
  await nodeA.handle(MEMBERSHIP_PROTOCOL, (stream, connection) => serveSync(stream, connection, { registry: registryA, log, ...noop }))
  await nodeA.handle('/bench/raw/1.0.0', async (stream) => {
    let received = 0
    for await (const chunk of stream) received += chunk.byteLength
    if (received < totalBytes) throw new Error(`raw stream ended early at ${received} bytes`)
    await stream.close()
  })
  const address = nodeA.getMultiaddrs()[0]
  if (address === undefined) throw new Error('no address')
  await nodeB.dial(address)

  t = performance.now()
  // As a node does it: exchanges of at most 4 MiB of ops, each resuming from the heads B has by then.
  await syncFully(() => nodeB.dialProtocol(address, MEMBERSHIP_PROTOCOL), () => [workspaceB], { registry: registryB, log, ...noop })
  const synced = workspaceB.log.state().members.size
  const syncMs = ms(t)
  if (synced !== members) throw new Error(`sync incomplete: ${synced} of ${members} members`)

  // Baseline: the same number of bytes down a raw libp2p stream.
  const payload = new Uint8Array(64 * 1024)
  t = performance.now()
  const raw = await nodeB.dialProtocol(address, '/bench/raw/1.0.0')
  for (let sent = 0; sent < totalBytes; sent += payload.byteLength) if (!raw.send(payload)) await raw.onDrain()
  await raw.close()
  const rawMs = ms(t)

  // The restart path: the log stored as the node stores it, then read back through the store
  // and the registry (what createCore does before its API answers), first in this process…
  const record: WorkspaceRecord = { ws, userId: parseUserId(`user-${String(MEMBERS - 2).padStart(8, '0')}`), joinedAt: 1, certificate: null }
  const dataKey = await nodeDataKey(restartDir)
  const seeding = await openNodeStore(restartDir, dataKey)
  await (await createWorkspaceRegistry(seeding, log)).adopt(record, ops)
  await seeding.close()
  t = performance.now()
  const reopened = await openNodeStore(restartDir, dataKey)
  const fromStore = (await createWorkspaceRegistry(reopened, log)).get(ws)?.log.state().members.size
  const storeReplayMs = ms(t)
  await reopened.close()
  if (fromStore !== members) throw new Error(`the store gave back ${fromStore ?? 0} of ${members} members`)
  // … then as a fresh `enclave node` process on a cold page cache, alternating with a node in no workspace.
  const withLog: Array<{ ms: number; drop: CacheDrop }> = []
  const without: Array<{ ms: number; drop: CacheDrop }> = []
  for (let i = 0; i < RESTARTS; i++) {
    without.push(await coldStart(emptyDir, 0))
    withLog.push(await coldStart(restartDir, members))
  }
  const restart = summarize(withLog.map((r) => r.ms))
  const emptyRestart = summarize(without.map((r) => r.ms))
  const dropLine = describeDrop(withLog.at(-1)?.drop ?? { method: 'none', residentBytes: null, totalBytes: null })

  const f = (n: number): string => `${n.toFixed(0)} ms`
  const rows = [
    { metric: `verify ${ops.length.toLocaleString('en-US')} signed ops`, enclave: f(verifyMs), baseline: '—', target: '—', met: '—' },
    { metric: 'replay the log in memory (decode, order, state)', enclave: f(replayMs), baseline: '—', target: '—', met: '—' },
    { metric: 'replay at start through the store (LevelDB, sealed), warm', enclave: f(storeReplayMs), baseline: `${f(replayMs)} (in memory)`, target: '—', met: '—' },
    { metric: `restart: fresh node until its API lists them, cold (p50 / max, ${restart.n}×)`, enclave: `${f(restart.p50)} / ${f(restart.max)}`, baseline: `${f(emptyRestart.p50)} / ${f(emptyRestart.max)} (node in no workspace)`, target: '—', met: '—' },
    { metric: 'sync whole log to a new member (libp2p, verify, store)', enclave: f(syncMs), baseline: `${f(rawMs)} (raw stream, same ${(totalBytes / 1048576).toFixed(1)} MiB)`, target: '—', met: '—' }
  ]
  printTable(`Membership log: ${MEMBERS.toLocaleString('en-US')} members, ${(totalBytes / 1048576).toFixed(1)} MiB of signed ops; ${dropLine}`, rows)
  await writeResults('membership', { members: MEMBERS, bytes: totalBytes, verifyMs, replayMs, storeReplayMs, restart, emptyRestart, restarts: { withLog, without }, syncMs, rawMs, rows })
} finally {
  await Promise.all([nodeA.stop(), nodeB.stop()])
  await Promise.all([storeA!.close(), storeB!.close()])
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  await Promise.all([restartDir, emptyDir].map(removeDataDir))
}
