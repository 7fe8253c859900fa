// Resolves a vector's cipher_suite number to a ts-mls CiphersuiteImpl. A suite the installed
// ts-mls cannot build (an optional peer dependency such as @hpke/dhkem-x448 is absent) is
// reported as a skip with the library's own reason; any other failure is a real error.
import type { CiphersuiteImpl, CryptoProvider } from 'ts-mls'
import { ciphersuites, defaultCryptoProvider, getCiphersuiteImpl, nobleCryptoProvider } from 'ts-mls'
import type { CiphersuiteId } from 'ts-mls/crypto/ciphersuite.js'
import { getCiphersuiteFromId, getCiphersuiteNameFromId } from 'ts-mls/crypto/ciphersuite.js'
import { DependencyError } from 'ts-mls/mlsError.js'
import { enclaveCryptoProvider } from '../../src/crypto/mls-suite.js'

export interface ProviderChoice {
  readonly name: 'default' | 'noble' | 'enclave'
  readonly provider: CryptoProvider
}

/** ENCLAVE_FULL_VECTORS=1 runs everything; the default run trims the costliest work (see HEAVY_PROVIDERS and the families). */
export const FULL_VECTORS = process.env.ENCLAVE_FULL_VECTORS === '1'

// The two ts-mls 1.6.4 providers differ only in hashing/HMAC and the message AEAD: `default`
// uses WebCrypto (and is what getCiphersuiteImpl picks when given no provider), `noble` is
// pure JS. They share the DH-KEM (@hpke/core), HKDF and the noble signatures.
export const DEFAULT_PROVIDER: ProviderChoice = { name: 'default', provider: defaultCryptoProvider }
export const NOBLE_PROVIDER: ProviderChoice = { name: 'noble', provider: nobleCryptoProvider }
/** What Enclave runs: noble with Node's Ed25519 and a synchronous HKDF (src/crypto/mls-suite.ts). */
export const ENCLAVE_PROVIDER: ProviderChoice = { name: 'enclave', provider: enclaveCryptoProvider }
export const ALL_PROVIDERS: readonly ProviderChoice[] = [DEFAULT_PROVIDER, NOBLE_PROVIDER, ENCLAVE_PROVIDER]

// The KEM- and signature-bound families (P-384/P-521 dominate at ~10-80 ms an operation)
// gain little from a second provider, so outside a full run they use one: Enclave's own.
export const HEAVY_PROVIDERS: readonly ProviderChoice[] = FULL_VECTORS ? ALL_PROVIDERS : [ENCLAVE_PROVIDER]

export type SuiteLookup =
  | { readonly ok: true; readonly name: string; readonly impl: CiphersuiteImpl }
  | { readonly ok: false; readonly name: string; readonly reason: string }

function toSuiteId(n: number): CiphersuiteId | undefined {
  return Object.values(ciphersuites).find((id) => id === n)
}

async function build(n: number, choice: ProviderChoice): Promise<SuiteLookup> {
  const id = toSuiteId(n)
  if (id === undefined) return { ok: false, name: `suite ${n}`, reason: `cipher suite ${n} is unknown to ts-mls` }
  const name = getCiphersuiteNameFromId(id)
  try {
    return { ok: true, name, impl: await getCiphersuiteImpl(getCiphersuiteFromId(id), choice.provider) }
  } catch (e) {
    if (e instanceof DependencyError) return { ok: false, name, reason: `ts-mls cannot instantiate it: ${e.message}` }
    throw e
  }
}

// Building a suite imports optional modules and derives key objects; do it once per process.
const cache = new Map<string, Promise<SuiteLookup>>()

export function loadSuite(n: number, choice: ProviderChoice): Promise<SuiteLookup> {
  const key = `${choice.name}:${n}`
  let hit = cache.get(key)
  if (hit === undefined) {
    hit = build(n, choice)
    cache.set(key, hit)
  }
  return hit
}
