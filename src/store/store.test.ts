import assert from 'node:assert/strict'
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { createMemoryLogger } from '../logger.js'
import { CURRENT_SCHEMA_VERSION, openStore, type Store } from './store.js'
import { createSealedCodec } from './sealed-codec.js'
import { MIGRATIONS } from './migrations.js'
import { ClassicLevel } from 'classic-level'
import { randomBytes } from 'node:crypto'
import type { Migration } from './migrations.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

async function freshPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-store-'))
  dirs.push(dir)
  return join(dir, 'db')
}

test('runs pending migrations once, in version order, and records the schema version', async () => {
  const path = await freshPath()
  const ran: number[] = []
  const migrations: Migration[] = [
    { version: 2, description: 'two', up: () => { ran.push(2); return Promise.resolve() } },
    { version: 1, description: 'one', up: () => { ran.push(1); return Promise.resolve() } }
  ]
  const store = await openStore({ path, log: createMemoryLogger(), migrations })
  assert.equal(store.schemaVersion, 2)
  await store.close()
  const again = await openStore({ path, log: createMemoryLogger(), migrations: [...migrations, { version: 3, description: 'three', up: () => { ran.push(3); return Promise.resolve() } }] })
  assert.equal(again.schemaVersion, 3)
  await again.close()
  assert.deepEqual(ran, [1, 2, 3])
})

test('refuses a store written by a newer schema instead of corrupting it', async () => {
  const path = await freshPath()
  const newer = await openStore({ path, log: createMemoryLogger(), migrations: [{ version: 9, description: 'future', up: () => Promise.resolve() }] })
  await newer.close()
  await assert.rejects(openStore({ path, log: createMemoryLogger() }), (err: unknown) => err instanceof EnclaveError && err.code === 'store-too-new')
})

test('a batch writes to several collections atomically and values survive reopening', async () => {
  const path = await freshPath()
  let store: Store = await openStore({ path, log: createMemoryLogger() })
  const a = store.collection<{ n: number }>('messages')
  const b = store.collection<string>('messageIndex')
  await store.batch().put(a, 'k1', { n: 1 }).put(b, 'i1', 'k1').put(a, 'k2', { n: 2 }).del(a, 'k2').write()
  await store.close()
  store = await openStore({ path, log: createMemoryLogger() })
  assert.deepEqual(await store.collection<{ n: number }>('messages').get('k1'), { n: 1 })
  assert.equal(await store.collection<{ n: number }>('messages').get('k2'), undefined)
  assert.equal(await store.collection<string>('messageIndex').get('i1'), 'k1')
  await store.close()
})

test('collections are separate key spaces and ranges read in key order, both ways', async () => {
  const store = await openStore({ path: await freshPath(), log: createMemoryLogger() })
  const outbox = store.collection<number>('outbox')
  const peers = store.collection<number>('peers')
  for (const k of ['b', 'a', 'c']) await outbox.put(k, k.charCodeAt(0))
  await peers.put('a', 0)
  const keys: string[] = []
  for await (const [k] of outbox.entries()) keys.push(k)
  assert.deepEqual(keys, ['a', 'b', 'c'])
  const last: string[] = []
  for await (const [k] of outbox.entries({ reverse: true, limit: 2 })) last.push(k)
  assert.deepEqual(last, ['c', 'b'])
  assert.deepEqual(await outbox.getMany(['a', 'x']), [97, undefined])
  await store.close()
})

test('a second handle on the same store fails with a coded error', async () => {
  const path = await freshPath()
  const store = await openStore({ path, log: createMemoryLogger() })
  await assert.rejects(openStore({ path, log: createMemoryLogger() }), (err: unknown) => err instanceof EnclaveError && err.code === 'store-error')
  await store.close()
})

test('upgrading seals values stored in the clear, and the schema version stays readable', async () => {
  const path = await freshPath()
  const plain = await openStore({ path, log: createMemoryLogger(), migrations: MIGRATIONS.filter((m) => m.version < 3) })
  await plain.collection<{ text: string }>('messages').put('k', { text: 'canary-sealing' })
  await plain.close()
  const codec = createSealedCodec(randomBytes(32))
  const sealed = await openStore({ path, log: createMemoryLogger(), codec })
  assert.deepEqual(await sealed.collection<{ text: string }>('messages').get('k'), { text: 'canary-sealing' })
  assert.equal(sealed.schemaVersion, CURRENT_SCHEMA_VERSION)
  await sealed.close()
  const raw = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  for await (const [, value] of raw.iterator()) assert.ok(!Buffer.from(value).includes('canary-sealing'))
  await raw.close()
})

test('a store made by anyone else\'s rules is this user\'s only once opened', async () => {
  const path = await freshPath()
  const loose = new ClassicLevel(path)
  await loose.open()
  await loose.put('k', 'v')
  await loose.close()
  await chmod(path, 0o755)
  for (const name of await readdir(path)) await chmod(join(path, name), 0o644)
  const store = await openStore({ path, log: createMemoryLogger() })
  try {
    assert.equal((await stat(path)).mode & 0o777, 0o700)
    const modes = await Promise.all((await readdir(path)).map(async (name) => (await stat(join(path, name))).mode & 0o777))
    assert.ok(modes.length > 0 && modes.every((m) => m === 0o600), modes.map((m) => m.toString(8)).join(' '))
  } finally {
    await store.close()
  }
})
