// Checks that a private key from a vector belongs to a public key from the same vector.
// ts-mls has no private-to-public function, so the public key is recomputed with
// @noble/curves (one scalar multiplication) in the encodings RFC 9420 prescribes: raw
// X25519/X448/EdDSA keys, uncompressed SEC1 points for the NIST curves.
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { ed448, x448 } from '@noble/curves/ed448.js'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import type { CiphersuiteImpl } from 'ts-mls'
import { getCiphersuiteFromName } from 'ts-mls'

function hpkePublicKey(cs: CiphersuiteImpl, priv: Uint8Array): Uint8Array {
  const kem = getCiphersuiteFromName(cs.name).hpke.kem
  switch (kem) {
    case 'DHKEM-X25519-HKDF-SHA256':
      return x25519.getPublicKey(priv)
    case 'DHKEM-X448-HKDF-SHA512':
      return x448.getPublicKey(priv)
    case 'DHKEM-P256-HKDF-SHA256':
      return p256.getPublicKey(priv, false)
    case 'DHKEM-P384-HKDF-SHA384':
      return p384.getPublicKey(priv, false)
    case 'DHKEM-P521-HKDF-SHA512':
      return p521.getPublicKey(priv, false)
    default:
      throw new Error(`no public-key derivation for KEM ${kem} (${cs.name})`)
  }
}

function signaturePublicKey(cs: CiphersuiteImpl, priv: Uint8Array): Uint8Array {
  const alg = getCiphersuiteFromName(cs.name).signature
  switch (alg) {
    case 'Ed25519':
      return ed25519.getPublicKey(priv)
    case 'Ed448':
      return ed448.getPublicKey(priv)
    case 'P256':
      return p256.getPublicKey(priv, false)
    case 'P384':
      return p384.getPublicKey(priv, false)
    case 'P521':
      return p521.getPublicKey(priv, false)
    default:
      throw new Error(`no public-key derivation for signature ${alg} (${cs.name})`)
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(b)
}

export function hpkeKeysMatch(cs: CiphersuiteImpl, publicKey: Uint8Array, privateKey: Uint8Array): boolean {
  return same(hpkePublicKey(cs, privateKey), publicKey)
}

export function signatureKeysMatch(cs: CiphersuiteImpl, publicKey: Uint8Array, privateKey: Uint8Array): boolean {
  return same(signaturePublicKey(cs, privateKey), publicKey)
}
