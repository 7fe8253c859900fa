import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'

/** How the store's data key is protected on a headless node. */
export type KeyProtection =
  | { kind: 'passphrase'; passphrase: string }
  /** A file of at least 32 random bytes, readable by its owner only (created if missing). */
  | { kind: 'key-file'; path: string }

/** scrypt cost: ~100 ms and 32 MiB here, paid once per start. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const WRAP_AAD = Buffer.from('enclave/store-key/v1')
export const STORE_KEY_FILE = 'store-key.json'

const wrappedFile = z.object({
  v: z.literal(1),
  kind: z.enum(['passphrase', 'key-file']),
  salt: z.string(),
  nonce: z.string(),
  wrapped: z.string()
}).strict()

async function keyFromFile(path: string): Promise<Buffer> {
  let info
  try {
    info = await stat(path)
  } catch {
    // First start: make the key file, readable by its owner only from the first byte.
    await writeFile(path, randomBytes(32), { mode: 0o600, flag: 'wx' })
    await chmod(path, 0o600)
    info = await stat(path)
  }
  if ((info.mode & 0o077) !== 0) throw new EnclaveError('store-locked', `key file ${path} must be readable by its owner only (chmod 600)`)
  const bytes = await readFile(path)
  if (bytes.byteLength < 32) throw new EnclaveError('store-locked', `key file ${path} holds fewer than 32 bytes`)
  return bytes
}

async function keyEncryptionKey(protection: KeyProtection, salt: Buffer): Promise<Buffer> {
  const secret = protection.kind === 'passphrase' ? Buffer.from(protection.passphrase.normalize('NFC')) : await keyFromFile(protection.path)
  if (protection.kind === 'passphrase' && secret.byteLength === 0) throw new EnclaveError('store-locked', 'the passphrase is empty')
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, 32, SCRYPT, (err, key) => { if (err === null) resolve(key); else reject(err) })
  })
}

/**
 * Keeps `dataKey` wrapped (AES-256-GCM under a scrypt-derived key) in `DATA/store-key.json`, a
 * file that must not exist yet: on first start, and when a backup is restored into a new folder.
 */
export async function storeDataKey(dataDir: string, protection: KeyProtection, dataKey: Uint8Array): Promise<void> {
  const salt = randomBytes(16)
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', await keyEncryptionKey(protection, salt), nonce)
  cipher.setAAD(WRAP_AAD)
  const wrapped = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()])
  const record = { v: 1, kind: protection.kind, salt: salt.toString('base64'), nonce: nonce.toString('base64'), wrapped: wrapped.toString('base64') }
  await writeFile(join(dataDir, STORE_KEY_FILE), JSON.stringify(record, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
}

/**
 * The random key that seals every store value, unwrapped with the passphrase or key file. On
 * first start it is made and stored wrapped (AES-256-GCM under a scrypt-derived key) in
 * `DATA/store-key.json`. A wrong passphrase or key file is `store-locked`, never a garbled store.
 */
export async function loadDataKey(dataDir: string, protection: KeyProtection): Promise<Uint8Array> {
  const path = join(dataDir, STORE_KEY_FILE)
  let text: string | undefined
  try { text = await readFile(path, 'utf8') } catch { text = undefined }

  if (text === undefined) {
    const dataKey = new Uint8Array(randomBytes(32))
    await storeDataKey(dataDir, protection, dataKey)
    return dataKey
  }

  const parsed = wrappedFile.safeParse(JSON.parse(text))
  if (!parsed.success) throw new EnclaveError('store-locked', `${path} is damaged`)
  if (parsed.data.kind !== protection.kind) {
    throw new EnclaveError('store-locked', parsed.data.kind === 'passphrase' ? 'this store is locked with a passphrase (give --passphrase-file or ENCLAVE_PASSPHRASE)' : 'this store is locked with a key file (give --key-file)')
  }
  const wrapped = Buffer.from(parsed.data.wrapped, 'base64')
  const decipher = createDecipheriv('aes-256-gcm', await keyEncryptionKey(protection, Buffer.from(parsed.data.salt, 'base64')), Buffer.from(parsed.data.nonce, 'base64'))
  decipher.setAAD(WRAP_AAD)
  decipher.setAuthTag(wrapped.subarray(wrapped.byteLength - 16))
  try {
    return new Uint8Array(Buffer.concat([decipher.update(wrapped.subarray(0, wrapped.byteLength - 16)), decipher.final()]))
  } catch {
    throw new EnclaveError('store-locked', protection.kind === 'passphrase' ? 'wrong passphrase' : 'wrong key file')
  }
}
