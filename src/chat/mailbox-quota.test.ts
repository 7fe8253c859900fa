import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { createLogger } from '../logger.js'
import { parseDeviceText } from '../ids.js'
import { openStore } from '../store/store.js'
import { createMailboxQuota } from './mailbox-quota.js'

const alice = parseDeviceText('12D3KooWAJjbRkp8FPF5MKgMU53aUTxWkqvDrs4zc1VMbwRwfsbE')
const bob = parseDeviceText('12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo')
const overQuota = (err: unknown): boolean => err instanceof EnclaveError && err.code === 'over-quota'

test('a member over its share, or a full mailbox, is refused over-quota; handing over frees the room; old deposits are dropped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-quota-'))
  const store = await openStore({ path: dir, log: createLogger('test') })
  try {
    const quota = createMailboxQuota(store, { perMemberBytes: 1000, totalBytes: 1500, retentionMs: 60_000 })
    await quota.start()
    const batch = store.batch()
    quota.take(batch, 'k1', alice, 600, [bob])
    assert.throws(() => { quota.take(batch, 'k2', alice, 600, [bob]) }, overQuota)
    quota.take(batch, 'k3', bob, 800, [alice])
    // Bob is within his share, but the mailbox holds 1,400 of 1,500 bytes.
    assert.throws(() => { quota.take(batch, 'k4', bob, 200, [alice]) }, overQuota)
    await batch.write()
    const handed = store.batch()
    assert.equal(quota.handedOver(handed, 'k1', bob), true)
    await handed.write()
    assert.equal(quota.usage(alice), 0)
    // Counted again from the store after a restart.
    const again = createMailboxQuota(store, { perMemberBytes: 1000, totalBytes: 1500, retentionMs: 60_000 })
    await again.start()
    assert.equal(again.usage(), 800)
    const sweep = store.batch()
    assert.deepEqual(again.sweep(sweep, Date.now() + 61_000), ['k3'])
    await sweep.write()
    assert.equal(again.usage(), 0)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
})
