import { z } from 'zod'
import { idSchema, parseDeviceText } from '../ids.js'
import { canonicalDecode, canonicalEncode } from '../identity/canonical.js'
import { publicKeyOfPeer, SIGNATURE_DOMAINS, signFor, verifyFor } from '../identity/signing.js'
import type { PeerIdString } from '../api/contract.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Credential } from 'ts-mls'

const binding = z.object({
  v: z.literal(1),
  device: idSchema(parseDeviceText),
  sig: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 64)
}).strict()

/**
 * An MLS credential that names a device and proves it: the device's libp2p key signs the MLS
 * signature key, so a leaf in any group can be traced to a PeerId without asking anyone. Whether
 * that device may be in the group is a separate policy (workspace membership), checked by the
 * caller after this proof.
 */
export async function makeDeviceCredential(deviceKey: PrivateKey, device: string, mlsPublicKey: Uint8Array): Promise<Credential> {
  const sig = await signFor(deviceKey, SIGNATURE_DOMAINS.mlsCredential, mlsPublicKey)
  return { credentialType: 'basic', identity: canonicalEncode({ v: 1, device, sig }) }
}

/** The device a credential proves for this MLS signature key, or null if it proves nothing. */
export async function deviceOfCredential(credential: Credential, mlsPublicKey: Uint8Array): Promise<PeerIdString | null> {
  if (credential.credentialType !== 'basic') return null
  let parsed
  try {
    parsed = binding.safeParse(canonicalDecode(credential.identity))
  } catch {
    return null
  }
  if (!parsed.success) return null
  const key = publicKeyOfPeer(parsed.data.device)
  if (key === null) return null
  return await verifyFor(key, SIGNATURE_DOMAINS.mlsCredential, mlsPublicKey, parsed.data.sig) ? parsed.data.device : null
}

/**
 * The device a credential names, without checking its proof: for leaves already in a group,
 * whose credentials were verified when they were added.
 */
export function claimedDevice(credential: Credential): PeerIdString | null {
  if (credential.credentialType !== 'basic') return null
  try {
    const parsed = binding.safeParse(canonicalDecode(credential.identity))
    return parsed.success ? parsed.data.device : null
  } catch {
    return null
  }
}
