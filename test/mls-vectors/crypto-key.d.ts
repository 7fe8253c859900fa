// ts-mls's declarations type HPKE keys as `CryptoKey & {...}`, naming the global CryptoKey of
// lib.dom. Node's types keep it under node:crypto's webcrypto namespace only, so without this
// the key types collapse to the error type (and typescript-eslint flags them as unsafe).
// An interface (not a type alias) merges harmlessly should lib.dom ever be present.
import type { webcrypto } from 'node:crypto'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a pure re-export of Node's type
  interface CryptoKey extends webcrypto.CryptoKey {}
}
