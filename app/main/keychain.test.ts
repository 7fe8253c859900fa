import assert from 'node:assert/strict'
import { test } from 'node:test'
import { keychainOf, type SafeStorageLike } from './keychain.js'

const refuse = (): never => { throw new Error('the synchronous API must not be used when the asynchronous one exists') }

/** Electron 41's safeStorage: synchronous only; "sealing" prefixes bytes (enough to see who sealed). */
function syncSafeStorage(backend?: string, available = true): SafeStorageLike & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    isEncryptionAvailable: () => { calls.push('isEncryptionAvailable'); return available },
    encryptString: (text) => { calls.push('encryptString'); return Buffer.from(`sync:${text}`) },
    decryptString: (sealed) => {
      calls.push('decryptString')
      const text = sealed.toString()
      if (!text.startsWith('sync:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')
      return text.slice(5)
    },
    ...(backend === undefined ? {} : { getSelectedStorageBackend: () => backend })
  }
}

test('the asynchronous API is preferred when this Electron has it', async () => {
  const calls: string[] = []
  const keychain = keychainOf({
    isEncryptionAvailable: refuse,
    encryptString: refuse,
    decryptString: refuse,
    isAsyncEncryptionAvailable: () => { calls.push('isAsyncEncryptionAvailable'); return Promise.resolve(true) },
    encryptStringAsync: (text) => { calls.push('encryptStringAsync'); return Promise.resolve(Buffer.from(`async:${text}`)) },
    decryptStringAsync: (sealed) => {
      calls.push('decryptStringAsync')
      return Promise.resolve({ result: sealed.toString().slice(6), shouldReEncrypt: true })
    }
  })
  assert.equal(keychain.api, 'async')
  assert.equal(await keychain.status(), 'available')
  const sealed = await keychain.seal('secret')
  assert.equal(sealed.toString(), 'async:secret')
  assert.deepEqual(await keychain.open(sealed), { text: 'secret', reseal: true })
  assert.deepEqual(calls, ['isAsyncEncryptionAvailable', 'encryptStringAsync', 'decryptStringAsync'])
})

test('Electron 41: the synchronous API, behind promises', async () => {
  const safeStorage = syncSafeStorage('gnome_libsecret')
  const keychain = keychainOf(safeStorage)
  assert.equal(keychain.api, 'sync')
  assert.equal(await keychain.status(), 'available')
  assert.deepEqual(await keychain.open(await keychain.seal('secret')), { text: 'secret', reseal: false })
  // A failure is a rejection, never a synchronous throw out of the caller's await.
  await assert.rejects(keychain.open(Buffer.from('garbage')), /decrypting/)
  assert.deepEqual(safeStorage.calls, ['isEncryptionAvailable', 'encryptString', 'decryptString', 'decryptString'])
})

test('Linux basic_text is no keychain, even though Chromium calls encryption available', async () => {
  assert.equal(await keychainOf(syncSafeStorage('basic_text')).status(), 'basic-text')
  assert.equal(await keychainOf(syncSafeStorage('kwallet6')).status(), 'available')
  // macOS and Windows have no getSelectedStorageBackend at all.
  assert.equal(await keychainOf(syncSafeStorage()).status(), 'available')
  assert.equal(await keychainOf(syncSafeStorage(undefined, false)).status(), 'unavailable')
})
