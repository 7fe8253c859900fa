import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createLogger } from '../logger.js'
import { openStore } from '../store/store.js'
import { peerIdOf } from '../ids.js'
import { createCipherLog, RECENT_BYTES } from './cipher-log.js'
import { createEnvelopeSigner } from './envelope-signature.js'
import { dmConversationId } from './ids.js'

test('envelopes kept in memory after their write are bounded by bytes: a flood of 1 MiB envelopes stays on disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-cipher-log-'))
  const store = await openStore({ path: join(dir, 'store'), log: createLogger('test', { level: 'error' }) })
  try {
    const log = createCipherLog(store)
    const key = await generateKeyPair('Ed25519')
    const author = peerIdOf(peerIdFromPrivateKey(key))
    const sign = createEnvelopeSigner(key)
    const conv = dmConversationId(author, peerIdOf(peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const keys: string[] = []
    for (let seq = 1; seq <= 32; seq++) {
      const batch = store.batch()
      keys.push(log.put(batch, sign({ v: 3, conv, author, seq, kind: 'app', epoch: 1, mls: new Uint8Array(1024 * 1024).fill(seq) })))
      await batch.write()
      assert.ok(log.cachedBytes() <= RECENT_BYTES, `${log.cachedBytes()} bytes cached after ${seq} envelopes`)
    }
    // Every one is still there, the early ones read back from disk.
    const read = await log.get(keys)
    assert.deepEqual(read.map((e) => e?.mls[0]), Array.from({ length: 32 }, (_, i) => i + 1))
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test('catch-up for a device that joined at an epoch sends, per author, only the last envelope from before it, and never more than a page', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-cipher-log-'))
  const store = await openStore({ path: join(dir, 'store'), log: createLogger('test', { level: 'error' }) })
  try {
    const log = createCipherLog(store)
    const authors = await Promise.all([1, 2, 3].map(async () => {
      const key = await generateKeyPair('Ed25519')
      return { id: peerIdOf(peerIdFromPrivateKey(key)), sign: createEnvelopeSigner(key) }
    }))
    const conv = dmConversationId(authors[0]!.id, authors[1]!.id)
    // Each author: seq 1–10 in epoch 1, 11–12 in epoch 3 (joined at 3). The third wrote only before.
    const batch = store.batch()
    for (const [i, a] of authors.entries()) {
      for (let seq = 1; seq <= (i === 2 ? 10 : 12); seq++) log.put(batch, a.sign({ v: 3, conv, author: a.id, seq, kind: 'app', epoch: seq <= 10 ? 1 : 3, mls: new Uint8Array([seq]) }))
    }
    await batch.write()
    const ids = (envs: Array<{ author: string; seq: number }>): string[] => envs.map((e) => `${authors.findIndex((a) => a.id === e.author)}:${e.seq}`).sort()
    assert.deepEqual(ids(await log.missing(conv, {}, 100, 3)), ['0:10', '0:11', '0:12', '1:10', '1:11', '1:12', '2:10'])
    // Beyond what the asker has: nothing from before is sent again.
    assert.deepEqual(ids(await log.missing(conv, { [authors[0]!.id]: 10, [authors[1]!.id]: 12, [authors[2]!.id]: 10 }, 100, 3)), ['0:11', '0:12'])
    // Without `since`, everything beyond `have`.
    assert.equal((await log.missing(conv, {}, 100)).length, 34)
    // A page is never overfilled, whichever of the pending ones comes first.
    for (let limit = 1; limit <= 7; limit++) assert.equal((await log.missing(conv, {}, limit, 3)).length, limit)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
})
