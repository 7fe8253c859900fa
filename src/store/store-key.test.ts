import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { loadDataKey, STORE_KEY_FILE } from './store-key.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })
async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'enclave-key-'))
  dirs.push(d)
  return d
}
const locked = (e: unknown): boolean => e instanceof EnclaveError && e.code === 'store-locked'

test('a passphrase unlocks the same data key again; a wrong one is store-locked', async () => {
  const d = await dir()
  const key = await loadDataKey(d, { kind: 'passphrase', passphrase: 'correct horse battery staple' })
  assert.equal(key.byteLength, 32)
  assert.deepEqual(await loadDataKey(d, { kind: 'passphrase', passphrase: 'correct horse battery staple' }), key)
  await assert.rejects(loadDataKey(d, { kind: 'passphrase', passphrase: 'wrong' }), locked)
  await assert.rejects(loadDataKey(d, { kind: 'key-file', path: join(d, 'k') }), locked)
  assert.equal((await stat(join(d, STORE_KEY_FILE))).mode & 0o777, 0o600)
})

test('a key file is made 0600 on first start, and refused when others can read it', async () => {
  const d = await dir()
  const path = join(d, 'store.key')
  const key = await loadDataKey(d, { kind: 'key-file', path })
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  assert.deepEqual(await loadDataKey(d, { kind: 'key-file', path }), key)
  await chmod(path, 0o644)
  await assert.rejects(loadDataKey(d, { kind: 'key-file', path }), locked)
  await chmod(path, 0o600)
  await writeFile(path, Buffer.alloc(32, 1))
  await assert.rejects(loadDataKey(d, { kind: 'key-file', path }), locked)
})
