/**
 * Part of `npm run bench:directory`: a 20,000-member workspace log — verifying and replaying it
 * from disk form, and syncing it to a new member over a real libp2p connection — next to a raw
 * libp2p stream moving the same bytes in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMembershipLog } from '../src/identity/membership-log.js'
import { readStoredOp, signOp, verifyOp, type VerifiedOp } from '../src/identity/membership-op.js'
import { createRootKey, workspaceIdOf } from '../src/identity/workspace-key.js'
import { createLogger } from '../src/logger.js'
import { createNetNode } from '../src/net/libp2p-node.js'
import { MEMBERSHIP_PROTOCOL, serveSync, syncWith } from '../src/org/membership-sync.js'
import { createWorkspaceRegistry } from '../src/org/workspace-registry.js'
import { openStore } from '../src/store/store.js'
import { printTable, writeResults } from './stats.js'

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 20_000)
const log = createLogger('bench', { level: 'warn' })
const ms = (from: number): number => performance.now() - from

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
  const device = i === MEMBERS - 1 ? newcomer : (deviceIds[i % 64] ?? '').slice(0, 46) + String(i).padStart(6, '0').replace(/0/g, 'A')
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
  await registryA.adopt({ ws, userId: 'owner-00000000', joinedAt: 1, certificate: null }, ops)
  const workspaceB = await registryB.adopt({ ws, userId: `user-${String(MEMBERS - 1).padStart(8, '0')}`, joinedAt: 1, certificate: null }, [])
  const noop = { onChanged: () => undefined, onAdmitted: () => undefined }
  await nodeA.handle(MEMBERSHIP_PROTOCOL, (stream, connection) => serveSync(stream, connection.remotePeer.toString(), { registry: registryA, log, ...noop }))
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
  const stream = await nodeB.dialProtocol(address, MEMBERSHIP_PROTOCOL)
  await syncWith(stream, [workspaceB], { registry: registryB, log, ...noop })
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

  const f = (n: number): string => `${n.toFixed(0)} ms`
  const rows = [
    { metric: `verify ${ops.length.toLocaleString('en-US')} signed ops`, enclave: f(verifyMs), baseline: '—', target: '—', met: '—' },
    { metric: 'replay stored log at start (decode, order, state)', enclave: f(replayMs), baseline: '—', target: '—', met: '—' },
    { metric: 'sync whole log to a new member (libp2p, verify, store)', enclave: f(syncMs), baseline: `${f(rawMs)} (raw stream, same ${(totalBytes / 1048576).toFixed(1)} MiB)`, target: '—', met: '—' }
  ]
  printTable(`Membership log: ${MEMBERS.toLocaleString('en-US')} members, ${(totalBytes / 1048576).toFixed(1)} MiB of signed ops`, rows)
  await writeResults('membership', { members: MEMBERS, bytes: totalBytes, verifyMs, replayMs, syncMs, rawMs, rows })
} finally {
  await Promise.all([nodeA.stop(), nodeB.stop()])
  await Promise.all([storeA!.close(), storeB!.close()])
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
}
