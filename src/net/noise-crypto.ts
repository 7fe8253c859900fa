import { createRequire } from 'node:module'
import { asCrypto, defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { EnclaveError } from '../errors.js'

/**
 * Noise's ChaCha20-Poly1305, by where the core runs. Node's OpenSSL has it (~300 MiB/s per
 * stream here). Electron's BoringSSL does not, and Noise then falls back to a wasm build
 * (measured 40–60 MiB/s: every byte of every transfer goes through it). `sodium` is libsodium's
 * own through sodium-native, whose N-API prebuilds load in Node and Electron alike: the desktop
 * app's choice. `wasm` is Electron's fallback, kept to measure against (bench:files).
 */
export type NoiseCrypto = 'node' | 'sodium' | 'wasm'

export const NOISE_CRYPTO: readonly NoiseCrypto[] = ['node', 'sodium', 'wasm']

/** What this runtime uses unless told otherwise: libsodium under Electron, OpenSSL under Node. */
export function defaultNoiseCrypto(): NoiseCrypto {
  return process.versions.electron === undefined ? 'node' : 'sodium'
}

/**
 * The choice from ENCLAVE_NOISE_CRYPTO (`node`, `sodium` or `wasm`), for measuring the desktop
 * app's configuration under Node (bench:files); unset, the runtime decides.
 */
export function noiseCryptoFromEnv(): NoiseCrypto {
  const value = process.env.ENCLAVE_NOISE_CRYPTO
  if (value === undefined || value === '') return defaultNoiseCrypto()
  const known = NOISE_CRYPTO.find((c) => c === value)
  if (known === undefined) throw new EnclaveError('bad-request', `ENCLAVE_NOISE_CRYPTO must be one of ${NOISE_CRYPTO.join(', ')}, not ${value}`)
  return known
}

interface SodiumAead {
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number
}

const TAG_BYTES = 16
/** Below this, the wasm build beats a native call's overhead (libp2p-noise measured 1,200 bytes). */
const SMALL = 1200

/** libsodium's AEAD, or undefined where its native addon does not load (a platform without a prebuild). */
function loadSodium(): SodiumAead | undefined {
  try {
    // sodium-native is CommonJS with a native addon: loaded only when chosen.
    return createRequire(import.meta.url)('sodium-native') as SodiumAead
  } catch {
    return undefined
  }
}

const WASM: ICryptoInterface = { ...defaultCrypto, chaCha20Poly1305Encrypt: asCrypto.chaCha20Poly1305Encrypt, chaCha20Poly1305Decrypt: asCrypto.chaCha20Poly1305Decrypt }

function sodiumCrypto(): ICryptoInterface {
  const sodium = loadSodium()
  // Slower, but the app still starts and talks: the addon is missing only on unusual platforms.
  if (sodium === undefined) return WASM
  return {
    ...defaultCrypto,
    chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
      if (plaintext.byteLength < SMALL) return asCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
      const m = plaintext.subarray()
      const out = Buffer.allocUnsafe(m.byteLength + TAG_BYTES)
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, m, ad, null, nonce, k)
      return out
    },
    chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
      if (ciphertext.byteLength < SMALL) return asCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
      const c = ciphertext.subarray()
      // Noise hands the frame's own bytes as `dst` to decrypt in place, which libsodium allows.
      const out = dst !== undefined && dst.byteLength === c.byteLength - TAG_BYTES ? dst : Buffer.allocUnsafe(c.byteLength - TAG_BYTES)
      // Throws on a forged or damaged frame, as Noise expects.
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, c, ad, nonce, k)
      return out
    }
  }
}

/** The `crypto` option for Noise. */
export function noiseCryptoOf(choice: NoiseCrypto): ICryptoInterface {
  switch (choice) {
    case 'sodium': return sodiumCrypto()
    case 'wasm': return WASM
    case 'node': return defaultCrypto
  }
}
