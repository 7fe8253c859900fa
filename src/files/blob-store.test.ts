import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openBlobStore } from './blob-store.js'
import { sha256 } from './file-seal.js'

const dir = await mkdtemp(join(tmpdir(), 'enclave-blobs-'))
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

test('a chunk is kept under its hash, read back, counted once, and found again after a reopen', async () => {
  const at = join(dir, 'keep')
  const store = await openBlobStore(at)
  const data = new Uint8Array(randomBytes(4096))
  const hash = sha256(data)
  await Promise.all([store.put(hash, data), store.put(hash, data)])
  await store.put(hash, data)
  assert.deepEqual(await store.get(hash), data)
  assert.deepEqual(store.usage(), { bytes: 4096, blobs: 1, quotaBytes: 20 * 1024 ** 3 })
  const again = await openBlobStore(at)
  assert.equal(await again.has(hash), true)
  assert.equal(again.usage().bytes, 4096)
  await again.delete(hash)
  assert.equal(await again.get(hash), undefined)
  assert.equal(again.usage().blobs, 0)
})

test('bytes that do not hash to their address are refused and nothing is written', async () => {
  const store = await openBlobStore(join(dir, 'bad'))
  const data = new Uint8Array(randomBytes(100))
  await assert.rejects(store.put(sha256(new Uint8Array(1)), data), { code: 'bad-frame' })
  assert.equal(store.usage().blobs, 0)
})

test('past the quota a chunk is refused as over-quota, counting writes still under way', async () => {
  const store = await openBlobStore(join(dir, 'quota'), { quotaBytes: 3000 })
  const a = new Uint8Array(randomBytes(2000))
  const b = new Uint8Array(randomBytes(2000))
  const results = await Promise.allSettled([store.put(sha256(a), a), store.put(sha256(b), b)])
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
  const refused = results.find((r) => r.status === 'rejected')
  assert.equal((refused?.reason as { code?: unknown }).code, 'over-quota')
  assert.equal(store.fits(1000), true)
  assert.equal(store.fits(1001), false)
})

test('a write cut off before its rename (a crash) leaves nothing behind that counts as a chunk', async () => {
  const at = join(dir, 'crash')
  await openBlobStore(at)
  await writeFile(join(at, 'tmp', 'half-written'), new Uint8Array(10))
  const store = await openBlobStore(at)
  assert.equal(store.usage().blobs, 0)
  assert.deepEqual(await readdir(join(at, 'tmp')), [])
})
