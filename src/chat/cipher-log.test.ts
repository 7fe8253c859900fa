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
