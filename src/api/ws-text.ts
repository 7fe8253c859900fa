import type { RawData } from 'ws'

/** The text of a WebSocket message, whichever of its three shapes `ws` delivered it in. */
export function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data)).toString('utf8')
  return data.toString('utf8')
}
