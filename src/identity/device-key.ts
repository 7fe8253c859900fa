import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { Collection } from '../store/store.js'

const DEVICE_KEY = 'deviceKey'

/**
 * The device's Ed25519 identity: its libp2p PeerId. Made once, on first start, and kept in the
 * store so the PeerId survives restarts (peers address it by that id).
 */
export async function loadOrCreateDeviceKey(meta: Collection<string>): Promise<PrivateKey> {
  const stored = await meta.get(DEVICE_KEY)
  if (stored !== undefined) return privateKeyFromProtobuf(Buffer.from(stored, 'base64'))
  const key = await generateKeyPair('Ed25519')
  await meta.put(DEVICE_KEY, Buffer.from(privateKeyToProtobuf(key)).toString('base64'))
  return key
}
