import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { createCore, type CoreInit } from '../../src/index.js'
import { createStoreKeySource, SAFE_KEY_FILE, type PassphraseRequest, type StoreKey } from './desktop-store-key.js'
import { keychainOf, type SafeStorageLike } from './keychain.js'
import { createShellLog } from './shell-log.js'

/** The decided key against the real core: it opens the store it made, again and again. */

const log = createShellLog('test', () => undefined)

function fakeSafeStorage(backend: string): SafeStorageLike {
  const osKey = randomBytes(32)
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend,
    encryptString: (text) => {
      const iv = randomBytes(16)
      const cipher = createCipheriv('aes-256-cbc', osKey, iv)
      return Buffer.concat([iv, cipher.update(text, 'utf8'), cipher.final()])
    },
    decryptString: (sealed) => {
      const decipher = createDecipheriv('aes-256-cbc', osKey, sealed.subarray(0, 16))
      return Buffer.concat([decipher.update(sealed.subarray(16)), decipher.final()]).toString('utf8')
    }
  }
}

async function dataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-desktop-key-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

async function peerIdWith(dir: string, storeKey: StoreKey): Promise<string> {
  const init: CoreInit = { dataDir: dir, storeKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, log }
  const core = await createCore(init)
  const peerId = core.peerId
  await core.stop()
  return peerId
}

test('a keychain-sealed data key opens the store the core made with it, on every start', { timeout: 60_000 }, async (t) => {
  const dir = await dataDir(t)
  const keychain = keychainOf(fakeSafeStorage('gnome_libsecret'))
  const source = (): Promise<StoreKey> => createStoreKeySource({ dataDir: dir, keychain, askPassphrase: () => Promise.reject(new Error('no prompt expected')), log })(null)

  const first = await peerIdWith(dir, await source())
  assert.equal(await peerIdWith(dir, await source()), first, 'the same device identity, read from the sealed store')
  const files = await readdir(dir)
  assert.ok(files.includes(SAFE_KEY_FILE))
  assert.ok(!files.includes('store-key.json') && !files.includes('store.key'), 'no headless key files beside it')

  // A data key that is not the store's does not open it: the core fails with a code, nothing is rewritten.
  await assert.rejects(peerIdWith(dir, { kind: 'data-key', key: new Uint8Array(randomBytes(32)) }), (err: unknown) => typeof (err as { code?: unknown }).code === 'string')
  assert.equal(await peerIdWith(dir, await source()), first)
})

test('basic_text: the core wraps the key with the passphrase; a wrong one is store-locked and asked again', { timeout: 60_000 }, async (t) => {
  const dir = await dataDir(t)
  const keychain = keychainOf(fakeSafeStorage('basic_text'))
  const answers = ['a passphrase long enough', 'a wrong passphrase', 'a passphrase long enough']
  const asked: PassphraseRequest[] = []
  const askPassphrase = (request: PassphraseRequest): Promise<string | null> => {
    asked.push(request)
    return Promise.resolve(answers.shift() ?? null)
  }
  const first = await peerIdWith(dir, await createStoreKeySource({ dataDir: dir, keychain, askPassphrase, log })(null))
  assert.ok((await readdir(dir)).includes('store-key.json'))
  assert.ok(!(await readdir(dir)).includes(SAFE_KEY_FILE))

  const source = createStoreKeySource({ dataDir: dir, keychain, askPassphrase, log })
  const wrong = await source(null)
  const failure = await peerIdWith(dir, wrong).then(() => assert.fail('a wrong passphrase opened the store'), (err: unknown) => err as { code: string; message: string })
  assert.equal(failure.code, 'store-locked')
  assert.equal(await peerIdWith(dir, await source({ code: 'store-locked', message: failure.message })), first)
  assert.deepEqual(asked.map((r) => [r.mode, r.retry]), [['create', false], ['unlock', false], ['unlock', true]])
})
