import { makeDeviceCredential } from '../crypto/mls-credential.js'
import { decodeKeyPackage, encodeKeyPackage, newKeyPackage, newSigningKeys, type MlsSigner, type OwnKeyPackage } from '../crypto/mls-group.js'
import type { Store } from '../store/store.js'
import type { PrivateKey } from '@libp2p/interface'

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

interface StoredPackage { kp: string; init: string; hpke: string; sig: string; at: number }

/** Unused key packages kept at most; the oldest are dropped past this. */
const MAX_UNUSED = 500

/**
 * This device's MLS signing identity and the key packages it has handed out. A key package's
 * private keys are deleted as soon as a welcome used it (forward secrecy for the join).
 */
export interface GroupKeys {
  readonly signer: MlsSigner
  /** A fresh key package; its private part is kept until a welcome uses it. */
  issue(): Promise<OwnKeyPackage>
  /** This device's own package with this ref, if still unused. */
  find(ref: string): Promise<OwnKeyPackage | undefined>
  /** Deletes a used package. */
  consume(ref: string): Promise<void>
}

export async function createGroupKeys(store: Store, deviceKey: PrivateKey, device: string): Promise<GroupKeys> {
  const meta = store.collection<{ signKey: string; publicKey: string }>('meta')
  const packages = store.collection<StoredPackage>('mlsKeyPackages')
  let keys = await meta.get('mlsSigner').then((s) => (s === undefined ? undefined : { signKey: unb64(s.signKey), publicKey: unb64(s.publicKey) }))
  if (keys === undefined) {
    keys = await newSigningKeys()
    await meta.put('mlsSigner', { signKey: b64(keys.signKey), publicKey: b64(keys.publicKey) })
  }
  const signer: MlsSigner = { ...keys, credential: await makeDeviceCredential(deviceKey, device, keys.publicKey) }
  let issued = 0

  return {
    signer,
    issue: async () => {
      const own = await newKeyPackage(signer)
      const p = own.privatePackage
      await packages.put(own.ref, { kp: b64(encodeKeyPackage(own.publicPackage)), init: b64(p.initPrivateKey), hpke: b64(p.hpkePrivateKey), sig: b64(p.signaturePrivateKey), at: Date.now() })
      if (++issued % 50 === 0) {
        const all: Array<[string, number]> = []
        for await (const [key, value] of packages.entries()) all.push([key, value.at])
        all.sort((a, b) => a[1] - b[1])
        for (const [key] of all.slice(0, Math.max(0, all.length - MAX_UNUSED))) await packages.del(key)
      }
      return own
    },
    find: async (ref) => {
      const s = await packages.get(ref)
      if (s === undefined) return undefined
      return { ref, publicPackage: decodeKeyPackage(unb64(s.kp)), privatePackage: { initPrivateKey: unb64(s.init), hpkePrivateKey: unb64(s.hpke), signaturePrivateKey: unb64(s.sig) } }
    },
    consume: (ref) => packages.del(ref)
  }
}
