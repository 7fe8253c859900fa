// Hex helpers for the RFC 9420 vectors. Kept local (not @noble/ciphers/utils) so the
// harness checks ts-mls against an independent, obviously-correct decoder.

const HEX = /^(?:[0-9a-f]{2})*$/i

export function hexToBytes(hex: string): Uint8Array {
  if (!HEX.test(hex)) throw new TypeError(`not an even-length hex string: ${hex.slice(0, 32)}…`)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
