import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryLogger } from '../logger.js'
import { serveSync, syncFully, syncWith, type SyncComponents } from './membership-sync.js'
import { opSize } from './op-frames.js'
import { chain, testDevice, testRegistry, testStreams, testWorkspace, wideLog, type TestDevice, type TestWorkspace } from './test-workspaces.js'
import type { OpBodyInput, VerifiedOp } from '../identity/membership-op.js'
import type { WorkspaceRegistry } from './workspace-registry.js'
import type { Stream } from '@libp2p/interface'

const PICTURE = `data:image/jpeg;base64,${'B'.repeat(30_000)}`

/** The owner's log: `n` members added, each with a ~30 KiB picture inline (ops of before 3.0.0). */
async function bigLog(t: TestWorkspace, newcomer: TestDevice, n: number): Promise<VerifiedOp[]> {
  const members = await Promise.all(Array.from({ length: n - 1 }, () => testDevice()))
  const adds = await chain(t, [...members, newcomer].map((m): { by: TestDevice; body: OpBodyInput } => ({ by: t.owner, body: { type: 'add', userId: m.userId, device: m.id, role: 'member', profile: { name: 'M', avatar: PICTURE } } })))
  return [t.genesis, ...adds]
}

function components(registry: WorkspaceRegistry, budgetBytes: number): SyncComponents {
  return { registry, log: createMemoryLogger(), onChanged: () => undefined, onAdmitted: () => undefined, packing: { budgetBytes } }
}

test('a sync bounded by bytes completes in several exchanges, each resuming from the heads reached', async () => {
  const t = await testWorkspace()
  const newcomer = await testDevice()
  const ops = await bigLog(t, newcomer, 40)
  const owner = await testRegistry(t, t.owner.userId, ops)
  const joiner = await testRegistry(t, newcomer.userId, [t.genesis])
  try {
    const budget = 200 * 1024
    let exchanges = 0
    const open = async (): Promise<Stream> => {
      exchanges++
      const s = await testStreams(newcomer)
      void serveSync(s.server, s.connection, components(owner.registry, budget))
      return s.asker
    }
    await syncFully(open, () => joiner.registry.list(), components(joiner.registry, budget))
    assert.equal(joiner.registry.get(t.ws)?.log.size, ops.length)
    const total = ops.reduce((n, op) => n + opSize(op.signed), 0)
    assert.ok(exchanges >= Math.floor(total / budget), `${exchanges} exchanges for ${total} bytes`)
  } finally {
    await Promise.all([owner.close(), joiner.close()])
  }
})

test('a sync cut off mid-way keeps what arrived, and the next one sends only the rest', async () => {
  const t = await testWorkspace()
  const newcomer = await testDevice()
  const ops = await bigLog(t, newcomer, 40)
  const owner = await testRegistry(t, t.owner.userId, ops)
  const joiner = await testRegistry(t, newcomer.userId, [t.genesis])
  try {
    // The link dies right after the first frame of ops (of three) was stored.
    const cut = await testStreams(newcomer)
    void serveSync(cut.server, cut.connection, components(owner.registry, Number.MAX_SAFE_INTEGER)).catch(() => undefined)
    const storing = components(joiner.registry, Number.MAX_SAFE_INTEGER)
    storing.registry = {
      ...joiner.registry,
      receive: async (ws, signed) => {
        const added = await joiner.registry.receive(ws, signed)
        cut.asker.abort(new Error('link lost'))
        return added
      }
    }
    await assert.rejects(syncWith(cut.asker, joiner.registry.list(), storing))
    const kept = joiner.registry.get(t.ws)?.log.size ?? 0
    assert.ok(kept > 1 && kept < ops.length, `kept ${kept} of ${ops.length}`)

    const again = await testStreams(newcomer)
    const served = components(owner.registry, Number.MAX_SAFE_INTEGER)
    let resent = 0
    void serveSync(again.server, again.connection, served)
    const sendAgain = again.server.send.bind(again.server)
    again.server.send = (data) => { resent += data.byteLength; return sendAgain(data) }
    const round = await syncWith(again.asker, joiner.registry.list(), components(joiner.registry, Number.MAX_SAFE_INTEGER))
    assert.equal(joiner.registry.get(t.ws)?.log.size, ops.length)
    assert.equal(round.received, ops.length - kept)
    const rest = ops.slice(kept).reduce((n, op) => n + opSize(op.signed), 0)
    assert.ok(resent < rest + 16 * 1024, `resent ${resent} bytes for ${rest} bytes of ops left`)
  } finally {
    await Promise.all([owner.close(), joiner.close()])
  }
})

test('a sync through a layer wider than the heads an exchange may name resumes by cursor, not from the start', async () => {
  const t = await testWorkspace()
  // 300 concurrent edits of ~1 KiB: after a cut, the 256 heads a hello names leave ~44 KiB of
  // ops out of their past, more than the 32 KiB an exchange may carry here.
  const { ops, members } = await wideLog(t, 300, 600)
  const asker = members[0]
  assert.ok(asker !== undefined)
  const owner = await testRegistry(t, t.owner.userId, ops)
  const joiner = await testRegistry(t, asker.userId, [t.genesis])
  try {
    let exchanges = 0
    const open = async (): Promise<Stream> => {
      exchanges++
      const s = await testStreams(asker)
      void serveSync(s.server, s.connection, components(owner.registry, 32 * 1024))
      return s.asker
    }
    await syncFully(open, () => joiner.registry.list(), components(joiner.registry, 32 * 1024))
    assert.equal(joiner.registry.get(t.ws)?.log.size, ops.length, `${exchanges} exchanges`)
    const total = ops.reduce((n, op) => n + opSize(op.signed), 0)
    assert.ok(exchanges <= Math.ceil(total / (32 * 1024)) + 2, `${exchanges} exchanges for ${total} bytes`)
  } finally {
    await Promise.all([owner.close(), joiner.close()])
  }
})
