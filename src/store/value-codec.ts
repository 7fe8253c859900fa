/**
 * How store values become bytes. Every value passes through here, so at-rest sealing
 * (bound to sublevel and key) slots in at this one place.
 */
export interface ValueCodec {
  encode(collection: string, key: string, value: unknown): Uint8Array
  decode(collection: string, key: string, bytes: Uint8Array): unknown
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** JSON text: the values are plain records, and V8's JSON is faster than any binary codec in JS. */
export const jsonValueCodec: ValueCodec = {
  encode: (_collection, _key, value) => encoder.encode(JSON.stringify(value)),
  decode: (_collection, _key, bytes) => JSON.parse(decoder.decode(bytes)) as unknown
}
