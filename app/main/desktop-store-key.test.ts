import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { createStoreKeySource, SAFE_KEY_FILE, type PassphraseRequest, type StoreKey } from './desktop-store-key.js'
import { keychainOf, type SafeStorageLike } from './keychain.js'
import { createShellLog } from './shell-log.js'
import type { ApiError } from '../../src/api/contract.js'

const log = createShellLog('test', () => undefined)

/**
 * Like Chromium's OSCrypt on macOS and Linux: AES-CBC under a key the OS keeps, "v11" prefix,
 * no authentication (a flipped byte may decrypt to garbage rather than fail).
 */
function fakeSafeStorage(options: { backend?: string; available?: boolean; osKey?: Buffer } = {}): SafeStorageLike & { sealed: number } {
  const osKey = options.osKey ?? randomBytes(32)
  const fake = {
    sealed: 0,
    isEncryptionAvailable: () => options.available ?? true,
    encryptString: (text: string): Buffer => {
      fake.sealed++
      const iv = randomBytes(16)
      const cipher = createCipheriv('aes-256-cbc', osKey, iv)
      return Buffer.concat([Buffer.from('v11'), iv, cipher.update(text, 'utf8'), cipher.final()])
    },
    decryptString: (sealed: Buffer): string => {
      if (sealed.subarray(0, 3).toString() !== 'v11') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')
      const decipher = createDecipheriv('aes-256-cbc', osKey, sealed.subarray(3, 19))
      return Buffer.concat([decipher.update(sealed.subarray(19)), decipher.final()]).toString('utf8')
    },
    ...(options.backend === undefined ? {} : { getSelectedStorageBackend: () => options.backend ?? 'unknown' })
  }
  return fake
}

async function dataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-store-key-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

/** A prompt that answers from a list and records what it was asked. */
function prompt(answers: Array<string | null>) {
  const asked: PassphraseRequest[] = []
  return {
    asked,
    askPassphrase: (request: PassphraseRequest): Promise<string | null> => {
      asked.push(request)
      const answer = answers.shift()
      if (answer === undefined) throw new Error('asked more often than expected')
      return Promise.resolve(answer)
    }
  }
}

function dataKeyOf(key: StoreKey): Uint8Array {
  if (key.kind !== 'data-key') assert.fail(`expected a data key, got ${key.kind}`)
  return key.key
}

const isStoreLocked = (err: unknown): boolean => (err as { code?: unknown }).code === 'store-locked'
const locked: ApiError = { code: 'store-locked', message: 'wrong passphrase' }

/** The headless node's record (src/store/store-key.ts); only `kind` matters here. */
async function headlessStore(dir: string, kind: 'passphrase' | 'key-file'): Promise<void> {
  await mkdir(join(dir, 'store'), { recursive: true })
  await writeFile(join(dir, 'store-key.json'), JSON.stringify({ v: 1, kind, salt: 'AA==', nonce: 'AA==', wrapped: 'AA==' }), { mode: 0o600 })
}

test('a new store: a random data key, sealed by the keychain into a 0600 file; the next start unseals the same key', async (t) => {
  const dir = await dataDir(t)
  const safeStorage = fakeSafeStorage({ backend: 'gnome_libsecret' })
  const never = prompt([])
  const first = dataKeyOf(await createStoreKeySource({ dataDir: dir, keychain: keychainOf(safeStorage), askPassphrase: never.askPassphrase, log })(null))
  assert.equal(first.byteLength, 32)
  assert.ok(first.some((byte) => byte !== 0))
  const kept = Uint8Array.from(first)

  const file = join(dir, SAFE_KEY_FILE)
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  assert.deepEqual(await readdir(dir), [SAFE_KEY_FILE], 'no temporary file left, nothing else written')
  const bytes = await readFile(file)
  assert.equal(bytes.indexOf(Buffer.from(kept)), -1, 'the key is not in the file in the clear')
  assert.equal(bytes.indexOf(Buffer.from(Buffer.from(kept).toString('base64'))), -1)

  // The host zeroes what it was given; a restart (here: a new app run) unseals from disk again.
  first.fill(0)
  const second = dataKeyOf(await createStoreKeySource({ dataDir: dir, keychain: keychainOf(safeStorage), askPassphrase: never.askPassphrase, log })(null))
  assert.deepEqual(second, kept)
  assert.equal(safeStorage.sealed, 1, 'sealed once, at creation')
  assert.deepEqual(never.asked, [])
})

test('Linux basic_text: a passphrase is asked for a new store, never a key "sealed" with the hard-coded password', async (t) => {
  const dir = await dataDir(t)
  const safeStorage = fakeSafeStorage({ backend: 'basic_text' })
  const user = prompt(['correct horse battery staple'])
  const source = createStoreKeySource({ dataDir: dir, keychain: keychainOf(safeStorage), askPassphrase: user.askPassphrase, log })
  assert.deepEqual(await source(null), { kind: 'passphrase', passphrase: 'correct horse battery staple' })
  assert.deepEqual(user.asked, [{ mode: 'create', retry: false, reason: 'no-keychain' }])
  assert.equal(safeStorage.sealed, 0)
  await assert.rejects(stat(join(dir, SAFE_KEY_FILE)))

  // Once the core has made its store-key.json, later starts ask to unlock.
  await headlessStore(dir, 'passphrase')
  const later = prompt(['correct horse battery staple'])
  const next = await createStoreKeySource({ dataDir: dir, keychain: keychainOf(safeStorage), askPassphrase: later.askPassphrase, log })(null)
  assert.equal(next.kind, 'passphrase')
  assert.deepEqual(later.asked, [{ mode: 'unlock', retry: false, reason: 'store-uses-passphrase' }])
})

test('no usable keychain at all: a passphrase too', async (t) => {
  const dir = await dataDir(t)
  const user = prompt(['a long enough passphrase'])
  const key = await createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage({ available: false })), askPassphrase: user.askPassphrase, log })(null)
  assert.equal(key.kind, 'passphrase')
  assert.equal(user.asked[0]?.mode, 'create')
})

test('a store protected by a key file keeps it: the protection is passed through, nothing migrated', async (t) => {
  const dir = await dataDir(t)
  await headlessStore(dir, 'key-file')
  const source = (): ReturnType<ReturnType<typeof createStoreKeySource>> =>
    createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage()), askPassphrase: prompt([]).askPassphrase, log })(null)

  // The key file is missing: the core would make a new one and call it wrong; say where it belongs.
  await assert.rejects(source(), (err: unknown) => isStoreLocked(err) && /store\.key/.test((err as Error).message))

  await writeFile(join(dir, 'store.key'), randomBytes(32), { mode: 0o600 })
  assert.deepEqual(await source(), { kind: 'key-file', path: join(dir, 'store.key') })
  await assert.rejects(stat(join(dir, SAFE_KEY_FILE)), 'no keychain file made for it')
})

test('a passphrase store: asked once, kept for restarts of a core it unlocked, asked again with "wrong" after store-locked', async (t) => {
  const dir = await dataDir(t)
  await headlessStore(dir, 'passphrase')
  const user = prompt(['first try', 'second try', null])
  const source = createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage()), askPassphrase: user.askPassphrase, log })

  assert.deepEqual(await source(null), { kind: 'passphrase', passphrase: 'first try' })
  assert.deepEqual(await source(locked), { kind: 'passphrase', passphrase: 'second try' })
  // That one worked; the core crashed later: restarted without bothering the user.
  assert.deepEqual(await source(null), { kind: 'passphrase', passphrase: 'second try' })
  assert.deepEqual(user.asked.map((r) => [r.mode, r.retry]), [['unlock', false], ['unlock', true]])

  // Any failed start forgets it; closing the prompt is a coded refusal, not a crash.
  await assert.rejects(source({ code: 'internal', message: 'the core exited with code 1 before it was ready' }), isStoreLocked)
  assert.deepEqual(user.asked.map((r) => r.retry), [false, true, false])
})

test('a refused key file or keychain key is not retried in a loop', async (t) => {
  const dir = await dataDir(t)
  await headlessStore(dir, 'key-file')
  await writeFile(join(dir, 'store.key'), randomBytes(32), { mode: 0o600 })
  const source = createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage()), askPassphrase: prompt([]).askPassphrase, log })
  assert.equal((await source(null)).kind, 'key-file')
  await assert.rejects(source({ code: 'store-locked', message: 'wrong key file' }), (err: unknown) => isStoreLocked(err) && (err as Error).message === 'wrong key file')
})

test('a damaged store-key.safe is a coded error (store-locked), not a crash or a garbled key', async (t) => {
  const dir = await dataDir(t)
  const safeStorage = fakeSafeStorage()
  const source = (): ReturnType<ReturnType<typeof createStoreKeySource>> =>
    createStoreKeySource({ dataDir: dir, keychain: keychainOf(safeStorage), askPassphrase: prompt([]).askPassphrase, log })(null)
  dataKeyOf(await source())
  const file = join(dir, SAFE_KEY_FILE)
  const good = await readFile(file)

  // Not keychain output at all: the keychain throws.
  await writeFile(file, 'not sealed')
  await assert.rejects(source(), isStoreLocked)
  // Truncated: CBC padding fails.
  await writeFile(file, good.subarray(0, good.byteLength - 7))
  await assert.rejects(source(), isStoreLocked)
  // A flipped byte in the IV: CBC "decrypts" to a garbled first block, which the record's check refuses.
  const flipped = Buffer.from(good)
  flipped[3 + 5] = (flipped[3 + 5] ?? 0) ^ 0x55
  await writeFile(file, flipped)
  await assert.rejects(source(), isStoreLocked)
  // Sealed by another user's keychain.
  await writeFile(file, good)
  const other = createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage()), askPassphrase: prompt([]).askPassphrase, log })
  await assert.rejects(other(null), isStoreLocked)
})

test('a keychain-sealed store when the keyring is missing (basic_text) is store-locked, and no passphrase is asked', async (t) => {
  const dir = await dataDir(t)
  const osKey = randomBytes(32)
  dataKeyOf(await createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage({ osKey, backend: 'kwallet6' })), askPassphrase: prompt([]).askPassphrase, log })(null))
  const nobody = prompt([])
  const source = createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage({ osKey, backend: 'basic_text' })), askPassphrase: nobody.askPassphrase, log })
  await assert.rejects(source(null), (err: unknown) => isStoreLocked(err) && /keyring/.test((err as Error).message))
  assert.deepEqual(nobody.asked, [])
})

test('a damaged store-key.json is store-locked', async (t) => {
  const dir = await dataDir(t)
  await headlessStore(dir, 'passphrase')
  await writeFile(join(dir, 'store-key.json'), '{"v":1,"kind":"telepathy"}')
  const source = createStoreKeySource({ dataDir: dir, keychain: keychainOf(fakeSafeStorage()), askPassphrase: prompt([]).askPassphrase, log })
  await assert.rejects(source(null), isStoreLocked)
})

test('the asynchronous keychain API is used when present, and a rotated keychain key reseals the file', async (t) => {
  const dir = await dataDir(t)
  const sync = fakeSafeStorage()
  const refuse = (): never => { throw new Error('synchronous safeStorage used') }
  let rotate = false
  const asyncStorage: SafeStorageLike = {
    isEncryptionAvailable: refuse,
    encryptString: refuse,
    decryptString: refuse,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    isAsyncEncryptionAvailable: () => Promise.resolve(true),
    encryptStringAsync: (text) => Promise.resolve(sync.encryptString(text)),
    decryptStringAsync: (sealed) => Promise.resolve({ result: sync.decryptString(sealed), shouldReEncrypt: rotate })
  }
  const source = (): ReturnType<ReturnType<typeof createStoreKeySource>> =>
    createStoreKeySource({ dataDir: dir, keychain: keychainOf(asyncStorage), askPassphrase: prompt([]).askPassphrase, log })(null)
  const key = Uint8Array.from(dataKeyOf(await source()))
  const file = join(dir, SAFE_KEY_FILE)
  const before = await readFile(file)

  rotate = true
  assert.deepEqual(dataKeyOf(await source()), key)
  const after = await readFile(file)
  assert.notDeepEqual(after, before, 'sealed again')
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  rotate = false
  assert.deepEqual(dataKeyOf(await source()), key)
  assert.deepEqual(await readdir(dir), [SAFE_KEY_FILE])
})
