import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { EnclaveError } from '../../src/errors.js'
import { messageOf, type ShellLog } from './shell-log.js'
import type { ApiError } from '../../src/api/contract.js'
import type { CoreInit } from '../../src/index.js'
import type { Keychain, KeychainStatus } from './keychain.js'

/** What the core is started with: a data key unwrapped here, or protection it unwraps itself. */
export type StoreKey = NonNullable<CoreInit['storeKey']>

/** The data key sealed by the OS keychain: written by the desktop app only. */
export const SAFE_KEY_FILE = 'store-key.safe'
/** The headless node's wrapped key (src/store/store-key.ts, STORE_KEY_FILE): app/ may not import it. */
const HEADLESS_KEY_RECORD = 'store-key.json'
/** The core's default key file, which desktop builds before the keychain used (src/index.ts). */
const DEFAULT_KEY_FILE = 'store.key'
const DATA_KEY_BYTES = 32
const CHECK_LABEL = 'enclave/store-key.safe/v1'

export interface PassphraseRequest {
  /** `create`: a new store (asked twice, with a minimum length); `unlock`: an existing store. */
  mode: 'create' | 'unlock'
  /** The previous passphrase was refused by the core (store-locked): say so. */
  retry: boolean
  /** Why a passphrase: the keychain protects nothing here, or the store was made with one. */
  reason: 'no-keychain' | 'store-uses-passphrase'
}

export interface StoreKeySourceComponents {
  /** The core's data folder (the store is its `store/`). */
  dataDir: string
  keychain: Keychain
  /** Shows the prompt; null when the user closed it. */
  askPassphrase: (request: PassphraseRequest) => Promise<string | null>
  log: ShellLog
}

/**
 * The store key for the next core start. `failure` is why the previous core could not start
 * (`store-locked` after a wrong passphrase), null on the first start and after a core that was up.
 * Rejects with a coded error when no key can be had: the host keeps the core down.
 */
export type StoreKeySource = (failure: ApiError | null) => Promise<StoreKey>

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined
    throw new EnclaveError('store-locked', `cannot read ${path}: ${messageOf(err)}`, { cause: err })
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** Tells a wrong or garbled key from the right one: the keychain's ciphers are not all authenticated (CBC on macOS and Linux). */
function checkOf(key: Uint8Array): Buffer {
  return createHmac('sha256', key).update(CHECK_LABEL).digest().subarray(0, 16)
}

function encodeKey(key: Uint8Array): string {
  return JSON.stringify({ v: 1, key: Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64'), check: checkOf(key).toString('base64') })
}

function decodeKey(text: string, path: string): Uint8Array {
  const damaged = (): EnclaveError => new EnclaveError('store-locked', `${path} is damaged or was sealed by another keychain`)
  let record: unknown
  try {
    record = JSON.parse(text)
  } catch {
    throw damaged()
  }
  const { v, key, check } = (typeof record === 'object' && record !== null ? record : {}) as { v?: unknown; key?: unknown; check?: unknown }
  if (v !== 1 || typeof key !== 'string' || typeof check !== 'string') throw damaged()
  const bytes = Buffer.from(key, 'base64')
  const expected = Buffer.from(check, 'base64')
  const valid = bytes.byteLength === DATA_KEY_BYTES && expected.byteLength === 16 && timingSafeEqual(checkOf(bytes), expected)
  const copy = new Uint8Array(bytes)
  bytes.fill(0)
  if (!valid) {
    copy.fill(0)
    throw damaged()
  }
  return copy
}

/** Write to a temporary file (owner-only from its first byte), flush, then rename over `path`. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const file = await open(temporary, 'wx', 0o600)
    try {
      await file.writeFile(bytes)
      await file.sync()
    } finally {
      await file.close()
    }
    await chmod(temporary, 0o600)
    await rename(temporary, path)
  } catch (err) {
    await rm(temporary, { force: true })
    throw err
  }
}

/** The kind the headless node recorded in store-key.json, without trusting the rest of it. */
function headlessKind(text: string, path: string): 'passphrase' | 'key-file' {
  let kind: unknown
  try {
    kind = (JSON.parse(text) as { kind?: unknown } | null)?.kind
  } catch {
    kind = undefined
  }
  if (kind === 'passphrase' || kind === 'key-file') return kind
  throw new EnclaveError('store-locked', `${path} is damaged`)
}

/**
 * Decides, before each core start, how the desktop app's store key is had (docs/desktop-store-key.md):
 *
 * 1. `DATA/store-key.safe` exists: the OS keychain unseals the data key → `data-key`.
 * 2. `DATA/store-key.json` exists (the headless node's format, and desktop builds before this
 *    one): that protection is kept, never migrated silently: a key file is passed through, a
 *    passphrase is asked for.
 * 3. Neither (a new store, or one from before stores were encrypted, which the core then seals):
 *    a random data key sealed by the keychain into `store-key.safe` → `data-key`; or, when the
 *    keychain protects nothing (Linux `basic_text`) or is unavailable, a new passphrase for the
 *    core's scrypt wrapping. Never a key "sealed" with basic_text.
 *
 * A passphrase is kept in memory for restarts after a crash of a core it unlocked, and asked
 * again after any failed start (saying "wrong passphrase" after `store-locked`).
 */
export function createStoreKeySource({ dataDir, keychain, askPassphrase, log }: StoreKeySourceComponents): StoreKeySource {
  const safePath = join(dataDir, SAFE_KEY_FILE)
  const recordPath = join(dataDir, HEADLESS_KEY_RECORD)
  let remembered: string | null = null
  let lastKind: StoreKey['kind'] | null = null

  const passphrase = async (request: PassphraseRequest): Promise<StoreKey> => {
    lastKind = 'passphrase'
    if (remembered === null) {
      const given = await askPassphrase(request)
      if (given === null) throw new EnclaveError('store-locked', 'no passphrase was given')
      remembered = given
    }
    return { kind: 'passphrase', passphrase: remembered }
  }

  const unavailable = (status: KeychainStatus): EnclaveError => new EnclaveError('store-locked', status === 'basic-text'
    ? `${safePath} is sealed by the OS keychain, but no keyring is running (Linux basic_text); start Enclave in the desktop session whose keyring sealed it`
    : `${safePath} is sealed by the OS keychain, which is not available`)

  return async (failure) => {
    const locked = failure?.code === 'store-locked'
    if (locked && lastKind !== 'passphrase') {
      // Only a person can fix a refused key file or keychain key; asking the core again would loop.
      throw new EnclaveError('store-locked', failure.message)
    }
    // Kept only while the core it unlocked runs: whatever failed, a person checks it again.
    if (failure !== null) remembered = null

    const sealed = await readOptional(safePath)
    if (sealed !== undefined) {
      const status = await keychain.status()
      if (status !== 'available') throw unavailable(status)
      let opened: { text: string; reseal: boolean }
      try {
        opened = await keychain.open(sealed)
      } catch (err) {
        throw new EnclaveError('store-locked', `the OS keychain could not open ${safePath}: ${messageOf(err)}`, { cause: err })
      }
      const key = decodeKey(opened.text, safePath)
      if (opened.reseal) {
        try {
          await writeAtomically(safePath, await keychain.seal(encodeKey(key)))
          log.info('store key sealed again after a keychain key rotation')
        } catch (err) {
          log.warn('could not seal the store key again; the old sealing still works', { error: messageOf(err) })
        }
      }
      lastKind = 'data-key'
      return { kind: 'data-key', key }
    }

    const record = await readOptional(recordPath)
    if (record !== undefined) {
      const kind = headlessKind(record.toString('utf8'), recordPath)
      if (kind === 'passphrase') return passphrase({ mode: 'unlock', retry: locked, reason: 'store-uses-passphrase' })
      const keyFile = join(dataDir, DEFAULT_KEY_FILE)
      // The core would make a missing key file afresh, then refuse it as the wrong one.
      if (!(await exists(keyFile))) throw new EnclaveError('store-locked', `this store is locked with a key file; put it at ${keyFile} (mode 600)`)
      lastKind = 'key-file'
      return { kind: 'key-file', path: keyFile }
    }

    const status = await keychain.status()
    if (status !== 'available') {
      log.warn('the OS keychain protects nothing here; the store is protected by a passphrase', { keychain: status })
      return passphrase({ mode: 'create', retry: false, reason: 'no-keychain' })
    }
    const fresh = randomBytes(DATA_KEY_BYTES)
    const key = new Uint8Array(fresh)
    fresh.fill(0)
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    await writeAtomically(safePath, await keychain.seal(encodeKey(key)))
    log.info('new store key sealed by the OS keychain', { api: keychain.api })
    lastKind = 'data-key'
    return { kind: 'data-key', key }
  }
}
