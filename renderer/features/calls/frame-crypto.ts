/**
 * End-to-end encryption of call media frames (docs/protocol.md, Calls): AES-GCM (WebCrypto) with
 * a key per sender, derived by HKDF from the call's MLS exporter secret at an epoch. The core
 * never sees the secret's use and a forwarding node never sees a frame.
 *
 * A frame becomes: its first bytes in the clear (what a packetizer and decoder read to tell
 * frame kinds apart: 10 of a VP8 key frame, 3 of a delta frame, 1 of an Opus frame, all of them
 * authenticated as associated data), the ciphertext with its 16-byte tag, the 12-byte IV, and one
 * byte naming the call key it was sealed with (the first byte of the key's SHA-256).
 */

export const FRAME_KEY_INFO = 'enclave/call/frame/v1 '
const IV_BYTES = 12
const TRAILER_BYTES = IV_BYTES + 1
const TAG_BYTES = 16

/** Bytes left in the clear at the start of a frame of this kind. */
export function clearBytes(kind: 'key' | 'delta' | 'empty' | 'audio'): number {
  return kind === 'key' ? 10 : kind === 'delta' ? 3 : kind === 'audio' ? 1 : 0
}

/** The byte a frame carries to name the call key it was sealed with. */
export async function keyIndex(secret: Uint8Array<ArrayBuffer>): Promise<number> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', secret))[0] ?? 0
}

/** The AES-GCM key of one sender's frames under one call key. */
export async function senderKey(secret: Uint8Array<ArrayBuffer>, sender: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(FRAME_KEY_INFO + sender) },
    base,
    { name: 'AES-GCM', length: 128 },
    false,
    ['encrypt', 'decrypt']
  )
}

/**
 * Makes IVs for one sender's transform: 4 random bytes (the sender's audio and video each have
 * their own) and a counter, so no IV repeats under a key.
 */
export function ivSource(): () => Uint8Array<ArrayBuffer> {
  const salt = crypto.getRandomValues(new Uint8Array(4))
  let counter = 0n
  return () => {
    const iv = new Uint8Array(IV_BYTES)
    iv.set(salt)
    new DataView(iv.buffer).setBigUint64(4, counter++)
    return iv
  }
}

export async function encryptFrame(data: Uint8Array<ArrayBuffer>, clear: number, key: CryptoKey, keyIndex: number, iv: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const head = Math.min(clear, data.byteLength)
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: data.subarray(0, head) }, key, data.subarray(head)))
  const out = new Uint8Array(head + sealed.byteLength + TRAILER_BYTES)
  out.set(data.subarray(0, head))
  out.set(sealed, head)
  out.set(iv, head + sealed.byteLength)
  out[out.byteLength - 1] = keyIndex & 0xff
  return out
}

/** The key index a frame names, or null if it cannot be one of ours. */
export function frameKeyIndex(data: Uint8Array, clear: number): number | null {
  return clearOf(data, clear) === null ? null : data[data.byteLength - 1] ?? null
}

/** How many leading bytes of a sealed frame are in the clear: fewer than `clear` when the frame was that short. */
function clearOf(data: Uint8Array, clear: number): number | null {
  const body = data.byteLength - TAG_BYTES - TRAILER_BYTES
  return body < 0 ? null : Math.min(clear, body)
}

/** The frame as it was, or null when it is not sealed with `key` (wrong key, changed, cut). */
export async function decryptFrame(data: Uint8Array<ArrayBuffer>, clear: number, key: CryptoKey): Promise<Uint8Array<ArrayBuffer> | null> {
  const head = clearOf(data, clear)
  if (head === null) return null
  const ivAt = data.byteLength - TRAILER_BYTES
  try {
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: data.subarray(ivAt, ivAt + IV_BYTES), additionalData: data.subarray(0, head) }, key, data.subarray(head, ivAt)))
    const out = new Uint8Array(head + plain.byteLength)
    out.set(data.subarray(0, head))
    out.set(plain, head)
    return out
  } catch {
    return null
  }
}
