import { getCiphersuiteFromName, getCiphersuiteImpl, nobleCryptoProvider, type CiphersuiteImpl, type CiphersuiteName, type CryptoProvider } from 'ts-mls'
import { defaultClientConfig, type ClientConfig } from 'ts-mls/clientConfig.js'
import { extract, expand } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { nodeEd25519 } from './node-signature.js'
import type { AuthenticationService, KeyRetentionConfig } from 'ts-mls'

/** The one suite every Enclave group uses (RFC 9420 suite 3). */
export const MLS_SUITE: CiphersuiteName = 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519'

let suite: Promise<CiphersuiteImpl> | undefined

/**
 * HKDF-SHA256 computed synchronously (@noble/hashes). The provider's KDF goes through
 * WebCrypto, whose every call is a round trip to the thread pool; a message derives several
 * keys, so that waiting dominated the cost of sending and receiving one.
 */
const syncHkdfSha256: CiphersuiteImpl['kdf'] = {
  extract: (salt, ikm) => Promise.resolve(extract(sha256, ikm, salt)),
  expand: (prk, info, len) => Promise.resolve(expand(sha256, prk, info, len)),
  size: 32
}

/** The suite's implementation over the noble provider (pure JS, the same in Node and Electron). */
export function mlsSuite(): Promise<CiphersuiteImpl> {
  suite ??= getCiphersuiteImpl(getCiphersuiteFromName(MLS_SUITE), enclaveCryptoProvider)
  return suite
}

/**
 * The noble provider with two parts swapped for faster ones that compute the same thing:
 * Ed25519 through Node's crypto, HKDF-SHA256 synchronously. The RFC 9420 vectors run against
 * this provider too.
 */
export const enclaveCryptoProvider: CryptoProvider = {
  getCiphersuiteImpl: async (cs) => {
    const impl = await nobleCryptoProvider.getCiphersuiteImpl(cs)
    return {
      ...impl,
      ...(cs.signature === 'Ed25519' ? { signature: nodeEd25519(impl.signature) } : {}),
      ...(cs.hpke.kdf === 'HKDF-SHA256' ? { kdf: syncHkdfSha256 } : {})
    }
  }
}

/**
 * Peer-to-peer delivery is late and out of order far more than a server's: a device that slept
 * through a week of a busy channel must still read it. The library's defaults (4 epochs, 200
 * steps) would drop those messages, so keys are kept longer. Used keys are still deleted: this
 * only keeps keys of messages not received yet.
 */
export const KEY_RETENTION: KeyRetentionConfig = {
  /** Skipped generations kept per sender (messages that overtook others). */
  retainKeysForGenerations: 2_000,
  /** Past epochs whose receiver keys are kept, for messages that arrive after a commit. */
  retainKeysForEpochs: 64,
  /** How far one sender's ratchet may be advanced to reach a message: a long offline gap. */
  maximumForwardRatchetSteps: 50_000
}

/** Client settings with our retention and our credential check (the library default accepts anyone). */
export function mlsClientConfig(authService: AuthenticationService): ClientConfig {
  return { ...defaultClientConfig, keyRetentionConfig: KEY_RETENTION, authService }
}
