import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBus } from '../bus.js'
import { EnclaveError } from '../errors.js'
import { createMemoryLogger } from '../logger.js'
import { memoryCollection } from '../store/test-memory-collection.js'
import { openBlobStore } from './blob-store.js'
import { createMailboxFiles, type FileDeposit } from './mailbox-files.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { CoreEvents } from '../core-events.js'

const CONV = `ch:${'c'.repeat(32)}` as ConversationId
const OTHER = `ch:${'d'.repeat(32)}` as ConversationId
const ALICE = 'alice' as PeerIdString
const BOB = 'bob' as PeerIdString
const CAROL = 'carol' as PeerIdString
const root = (n: number): Uint8Array => new Uint8Array(32).fill(n)

async function mailbox(limits: { memberBytes?: number; retentionMs?: number }, data = new Map<string, FileDeposit>()): Promise<{ files: ReturnType<typeof createMailboxFiles>; data: Map<string, FileDeposit>; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-mailbox-files-'))
  const log = createMemoryLogger()
  const files = createMailboxFiles({
    blobs: await openBlobStore(dir),
    deposits: memoryCollection('fileDeposits', data),
    // The members are away: every fetch fails, so deposits stay incomplete.
    protocols: { dial: () => Promise.reject(new EnclaveError('peer-unreachable', 'away')) },
    bus: createBus<CoreEvents>(log),
    log,
    penalised: new Map(),
    isConnected: () => false,
    ownsRoot: () => false
  }, limits)
  await files.start()
  return { files, data, done: async () => { await files.stop(); await rm(dir, { recursive: true, force: true }) } }
}

test('a mailbox holds a file for the devices named, within each member\'s room, and serves nobody else', async () => {
  const { files, done } = await mailbox({ memberBytes: 10_000 })
  try {
    await files.hold(ALICE, CONV, root(1), 6_000, [BOB, ALICE])
    assert.equal(files.mayServe(BOB, CONV, root(1)), true)
    assert.equal(files.mayServe(ALICE, CONV, root(1)), true, 'the member who left it')
    assert.equal(files.mayServe(CAROL, CONV, root(1)), false, 'not named')
    assert.equal(files.mayServe(BOB, OTHER, root(1)), false, 'named for another conversation')
    await assert.rejects(files.hold(ALICE, CONV, root(2), 5_000, [BOB]), { code: 'over-quota' })
    // Another member's room is their own; the same file again is one copy, counted once.
    await files.hold(CAROL, CONV, root(2), 5_000, [BOB])
    await files.hold(ALICE, OTHER, root(1), 6_000, [CAROL])
    assert.equal(files.mayServe(CAROL, OTHER, root(1)), true)
  } finally {
    await done()
  }
})

test('a file nobody collected goes when it is older than the retention, also across a restart', async () => {
  const first = await mailbox({ retentionMs: 60_000 })
  await first.files.hold(ALICE, CONV, root(3), 1_000, [BOB])
  await first.done()
  const kept = first.data.get('03'.repeat(32))
  assert.ok(kept !== undefined, 'the deposit is kept in the store')
  const again = await mailbox({ retentionMs: 60_000 }, new Map([['03'.repeat(32), { ...kept, at: Date.now() - 61_000 }]]))
  try {
    assert.equal(again.files.mayServe(BOB, CONV, root(3)), false)
    assert.equal(again.data.size, 0)
  } finally {
    await again.done()
  }
})
