import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { EnclaveError } from '../errors.js'
import fc from 'fast-check'
import { cappedFuzzRuns, fuzzRuns } from '../fuzz-runs.js'
import { decodePart, sha256Hex } from './backup-format.js'
import { readBackup } from './backup-reader.js'
import { restoreBackup } from './backup-restore.js'
import { writeBackup } from './backup-writer.js'
import { createLogger } from '../logger.js'
import { loadDataKey } from '../store/store-key.js'
import { openStore, type Store } from '../store/store.js'

const PASS = 'correct horse battery'
/** age's scrypt at its default costs ~2 s a call here; the format is the same at any cost. */
const FAST = { scryptLogN: 10 }
const log = createLogger('test', { level: 'error' })
let root: string
let source: { dir: string; store: Store; dataKey: Uint8Array; blobs: Map<string, Buffer> }
let file: string

const code = (c: string) => (err: unknown): boolean => err instanceof EnclaveError && err.code === c

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'enclave-backup-'))
  const dir = join(root, 'source')
  await mkdir(dir)
  const dataKey = await loadDataKey(dir, { kind: 'key-file', path: join(dir, 'store.key') })
  const store = await openStore({ path: join(dir, 'store'), log, dataKey })
  // Enough entries for several store parts would take minutes here; values of ~1 KiB across a
  // few collections exercise the layout, and a 3 MiB value crosses no part boundary by itself.
  const batch = store.batch()
  const messages = store.collection<{ text: string }>('messages')
  for (let i = 0; i < 3000; i++) batch.put(messages, `m${i}`, { text: `message ${i} ${'x'.repeat(1000)}` })
  batch.put(store.collection<string>('meta'), 'profile', 'Ada')
  await batch.write()
  const blobs = new Map<string, Buffer>()
  for (let i = 0; i < 5; i++) {
    const bytes = Buffer.alloc(100_000 + i, i + 1)
    const name = sha256Hex(bytes)
    blobs.set(name, bytes)
    await mkdir(join(dir, 'blobs', name.slice(0, 2)), { recursive: true })
    await writeFile(join(dir, 'blobs', name.slice(0, 2), name), bytes)
  }
  source = { dir, store, dataKey, blobs }
  file = join(root, 'one.enclave-backup')
  await writeBackup({ store, dataKey, blobsDir: join(dir, 'blobs'), storeDir: join(dir, 'store') }, file, PASS, FAST)
})
after(async () => {
  await source.store.close()
  await rm(root, { recursive: true, force: true })
})

test('a backup restores into a new folder: the same entries, the same file chunks, opened with this machine\'s key', async () => {
  const target = join(root, 'restored')
  const seen: number[] = []
  const summary = await restoreBackup(file, PASS, target, { kind: 'passphrase', passphrase: 'new machine pass' }, { onProgress: (p) => seen.push(p.bytes) })
  assert.equal(summary.entries >= 3001, true)
  assert.equal(summary.blobs, 5)
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'progress only moves forward')
  const key = await loadDataKey(target, { kind: 'passphrase', passphrase: 'new machine pass' })
  assert.deepEqual(key, source.dataKey)
  const store = await openStore({ path: join(target, 'store'), log, dataKey: key })
  try {
    assert.deepEqual(await store.collection('messages').get('m2999'), { text: `message 2999 ${'x'.repeat(1000)}` })
    assert.equal(await store.collection('meta').get('profile'), 'Ada')
  } finally {
    await store.close()
  }
  for (const [name, bytes] of source.blobs) assert.deepEqual(await readFile(join(target, 'blobs', name.slice(0, 2), name)), bytes)
})

test('a wrong passphrase is backup-locked, and the target folder stays as it was', async () => {
  await assert.rejects(readBackup(file, 'not the passphrase', null), code('backup-locked'))
  const target = join(root, 'wrong-pass')
  await assert.rejects(restoreBackup(file, 'not the passphrase', target, { kind: 'passphrase', passphrase: 'x' }), code('backup-locked'))
  await assert.rejects(stat(target), /ENOENT/)
  assert.deepEqual((await readdir(root)).filter((n) => n.includes('restoring')), [], 'no staging folder is left behind')
})

test('a backup cut short anywhere, or with any part changed, is backup-damaged and restores nothing', async () => {
  const whole = await readFile(file)
  const size = whole.byteLength
  const cuts = [100, 1024, 3000, Math.floor(size / 3), Math.floor(size / 2), size - 2048, size - 600, size - 1]
  const copy = join(root, 'cut.enclave-backup')
  for (const at of cuts) {
    await writeFile(copy, whole)
    await truncate(copy, at)
    await assert.rejects(readBackup(copy, PASS, null), code('backup-damaged'), `cut at ${at} of ${size}`)
  }
  // One flipped byte in the header, the key section, a store part, a file chunk and the
  // manifest (its MAC and its list): each entry's bytes start one 512-byte block after its name.
  const dataOf = (name: string): number => whole.indexOf(Buffer.from(`${name}\0`)) + 512
  const offsets = [dataOf('enclave-backup.json') + 20, dataOf('keys.age') + 200, dataOf('store/000000') + 5000, dataOf(`blobs/${[...source.blobs.keys()][2] ?? ''}`) + 3000, dataOf('manifest') + 5, dataOf('manifest') + 80]
  assert.equal(offsets.every((at) => at > 512 && at < size), true)
  for (const at of offsets) {
    const changed = Buffer.from(whole)
    changed[at] = (changed[at] ?? 0) ^ 0x01
    await writeFile(copy, changed)
    const target = join(root, `tampered-${at}`)
    await assert.rejects(restoreBackup(copy, PASS, target, { kind: 'passphrase', passphrase: 'x' }), code('backup-damaged'), `byte ${at} of ${size}`)
    await assert.rejects(stat(target), /ENOENT/)
  }
  await writeFile(copy, 'not a backup at all')
  await assert.rejects(readBackup(copy, PASS, null), code('backup-damaged'))
})

test('restore refuses a folder that is not empty, and a backup never overwrites a file', async () => {
  const target = join(root, 'busy')
  await mkdir(target)
  await writeFile(join(target, 'keep.txt'), 'mine')
  await assert.rejects(restoreBackup(file, PASS, target, { kind: 'passphrase', passphrase: 'x' }), code('bad-request'))
  assert.equal(await readFile(join(target, 'keep.txt'), 'utf8'), 'mine')
  await assert.rejects(writeBackup({ store: source.store, dataKey: source.dataKey, blobsDir: join(source.dir, 'blobs'), storeDir: join(source.dir, 'store') }, file, PASS, FAST), code('bad-request'))
  await assert.rejects(writeBackup({ store: source.store, dataKey: source.dataKey, blobsDir: join(source.dir, 'blobs'), storeDir: join(source.dir, 'store') }, join(root, 'short'), 'short', FAST), code('bad-request'))
})

test('any bytes as a store part decode or are backup-damaged; a backup changed or cut anywhere reads whole or fails with a backup code', async () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try {
      for (const [key] of decodePart(bytes)) assert.ok(key.byteLength > 0)
    } catch (err) {
      assert.ok(err instanceof EnclaveError && err.code === 'backup-damaged', String(err))
    }
  }), { numRuns: fuzzRuns(5_000) })
  const whole = await readFile(file)
  const copy = join(root, 'fuzzed.enclave-backup')
  await fc.assert(fc.asyncProperty(fc.nat({ max: whole.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), async (at, value, cut) => {
    const bytes = cut ? whole.subarray(0, at) : Buffer.from(whole)
    if (!cut) bytes[at] = value
    await writeFile(copy, bytes)
    try {
      await readBackup(copy, PASS, null)
    } catch (err) {
      assert.ok(err instanceof EnclaveError && ['backup-damaged', 'backup-locked'].includes(err.code), String(err))
    }
  }), { numRuns: cappedFuzzRuns(20, 300) })
})

test('a stored value larger than a part (a big board\'s snapshot) goes in a part of its own and comes back whole', async () => {
  const dir = join(root, 'big')
  await mkdir(dir)
  const dataKey = await loadDataKey(dir, { kind: 'key-file', path: join(dir, 'store.key') })
  const store = await openStore({ path: join(dir, 'store'), log, dataKey })
  const board = Buffer.alloc(20 * 1024 * 1024)
  for (let i = 0; i < board.length; i += 4096) board[i] = i % 251
  await store.collection<Uint8Array>('docs').put('board', board)
  await store.collection<string>('docs').put('note', 'small')
  const big = join(root, 'big.enclave-backup')
  try {
    await writeBackup({ store, dataKey, blobsDir: join(dir, 'blobs'), storeDir: join(dir, 'store') }, big, PASS, FAST)
  } finally {
    await store.close()
  }
  const target = join(root, 'big-restored')
  await restoreBackup(big, PASS, target, { kind: 'key-file', path: join(dir, 'store.key') })
  const restored = await openStore({ path: join(target, 'store'), log, dataKey })
  try {
    assert.deepEqual(Buffer.from(await restored.collection<Uint8Array>('docs').get('board') ?? []), board)
    assert.equal(await restored.collection<string>('docs').get('note'), 'small')
  } finally {
    await restored.close()
  }
})
