import assert from 'node:assert/strict'
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, test } from 'node:test'
import { ClassicLevel } from 'classic-level'
import { createMemoryLogger } from '../logger.js'
import { COLLECTIONS, type CollectionName } from './collections.js'
import { hideKeys } from './hide-keys.js'
import { createKeyMapper } from './key-layout.js'
import { createSealedCodec } from './sealed-codec.js'
import { openStore, type Store } from './store.js'
import { keysOnDisk, namedInKeys } from './test-key-scan.js'
import type { ValueCodec } from './value-codec.js'

/**
 * test/fixtures/store-v3 was written by the schema-3 code (its README says how): keys in the
 * clear, values sealed. These tests migrate copies of it; message-log.test.ts and
 * outbox.test.ts read the migrated chat data through the services.
 */
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/store-v3/', import.meta.url))

interface Fixture {
  dataKey: string
  peers: Record<'alice' | 'bob' | 'carol', string>
  ids: Record<'dm' | 'ch' | 'ws' | 'doc', string>
  t0: number
  /** Collections that did not exist at schema 3 are missing. */
  expected: Partial<Record<CollectionName, Array<[string, unknown]>>>
}

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

async function copyOfFixture(): Promise<{ path: string; fixture: Fixture; dataKey: Uint8Array }> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-hide-keys-'))
  dirs.push(dir)
  await cp(join(FIXTURE, 'db'), join(dir, 'db'), { recursive: true })
  const fixture = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')) as Fixture
  return { path: join(dir, 'db'), fixture, dataKey: Buffer.from(fixture.dataKey, 'hex') }
}

/** Every entry of every collection, through the store (binary values as base64, as in the fixture). */
async function contents(store: Store): Promise<Record<string, Array<[string, unknown]>>> {
  const out: Record<string, Array<[string, unknown]>> = {}
  for (const name of COLLECTIONS) {
    const entries: Array<[string, unknown]> = []
    for await (const [key, value] of store.collection<unknown>(name).entries(name === 'meta' ? { gt: 'schemaVersion' } : {})) {
      entries.push([key, value instanceof Uint8Array ? { bytes: Buffer.from(value).toString('base64') } : value])
    }
    out[name] = entries.sort((a, b) => (a[0] < b[0] ? -1 : 1))
  }
  return out
}

function assertNothingNamed(keys: string[], fixture: Fixture): void {
  const ids = [...Object.values(fixture.peers), ...Object.values(fixture.ids).map((id) => id.replace(/^(dm:|ch:|doc:|w)/, ''))]
  assert.deepEqual(namedInKeys(keys, ids, fixture.t0), [])
}

/** What the fixture holds once migrated: the same, but outbox keys count from 1 in their old order. */
function migratedExpectation(fixture: Fixture): Record<string, Array<[string, unknown]>> {
  const out: Record<string, Array<[string, unknown]>> = {}
  for (const name of COLLECTIONS) {
    let entries = fixture.expected[name] ?? []
    if (name === 'outbox') entries = entries.map(([key, value], i) => [`${key.slice(0, key.indexOf('!'))}!${String(i + 1).padStart(17, '0')}`, value])
    out[name] = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : 1))
  }
  return out
}

test('a schema-3 store is migrated: every entry keeps its value, and no key names a person, a conversation or a time', async () => {
  const { path, fixture, dataKey } = await copyOfFixture()
  // The scan sees what schema 3 showed: ids and times.
  const before = namedInKeys(await keysOnDisk(path), [fixture.peers.alice, fixture.ids.ws.slice(1)], fixture.t0)
  assert.ok(before.some((f) => f.startsWith(fixture.peers.alice)) && before.some((f) => f.startsWith('a time')) && before.some((f) => f.startsWith(fixture.ids.ws.slice(1))))
  const store = await openStore({ path, log: createMemoryLogger(), dataKey })
  assert.equal(store.schemaVersion, 4)
  assert.deepEqual(await contents(store), migratedExpectation(fixture))

  await store.close()
  assertNothingNamed(await keysOnDisk(path), fixture)
  // Nor in the files: the old keys were compacted away, not only marked deleted.
  for (const file of await readdir(path)) assert.ok(!(await readFile(join(path, file))).includes(fixture.peers.alice), `${fixture.peers.alice} left in ${file}`)
})

test('a migration cut short by a crash loses nothing and finishes on the next open', async () => {
  const { path, fixture, dataKey } = await copyOfFixture()
  const sealed = createSealedCodec(dataKey)
  // Dies while moving ciphertexts: collections before it are moved, the rest are not.
  const crashing: ValueCodec = {
    decode: (collection, key, bytes) => sealed.decode(collection, key, bytes),
    encode: (collection, key, value) => {
      if (collection === 'keyed/ciphertexts') throw new Error('power cut')
      return sealed.encode(collection, key, value)
    }
  }
  await assert.rejects(openStore({ path, log: createMemoryLogger(), dataKey, codec: crashing }), /power cut/)
  const halfway = await keysOnDisk(path)
  assert.ok(halfway.some((k) => k.startsWith('!ciphertexts!') && k.includes(fixture.peers.alice)), 'ciphertexts still in the old layout')
  assert.ok(!halfway.some((k) => k.startsWith('!messages!') && k.includes(fixture.ids.ch.slice(3))), 'messages already moved')

  const store = await openStore({ path, log: createMemoryLogger(), dataKey })
  assert.equal(store.schemaVersion, 4)
  assert.deepEqual(await contents(store), migratedExpectation(fixture))
  await store.close()
  assertNothingNamed(await keysOnDisk(path), fixture)

  // Opening again moves nothing and changes nothing.
  const before = await keysOnDisk(path)
  const again = await openStore({ path, log: createMemoryLogger(), dataKey })
  await again.close()
  assert.deepEqual(await keysOnDisk(path), before)
})

test('a crash halfway through the outbox does not give two entries one counter', async () => {
  const { path, fixture, dataKey } = await copyOfFixture()
  const sealed = createSealedCodec(dataKey)
  let outboxWrites = 0
  const crashing: ValueCodec = {
    decode: (collection, key, bytes) => sealed.decode(collection, key, bytes),
    encode: (collection, key, value) => {
      if (collection === 'keyed/outbox' && ++outboxWrites > 1) throw new Error('power cut')
      return sealed.encode(collection, key, value)
    }
  }
  // One entry per atomic write, so the crash falls between two outbox entries.
  const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  const sub = (name: CollectionName): ClassicLevel<string, Uint8Array> => db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }) as unknown as ClassicLevel<string, Uint8Array>
  await assert.rejects(hideKeys({ sub, codec: crashing, keys: createKeyMapper(dataKey), log: createMemoryLogger(), chunk: 1 }), /power cut/)
  await db.close()

  const store = await openStore({ path, log: createMemoryLogger(), dataKey })
  assert.deepEqual((await contents(store)).outbox, migratedExpectation(fixture).outbox)
  await store.close()
})
