import fc from 'fast-check'
import { cborFrame } from './net/frame-io.js'
import { concatFrames } from './net/frame-reader.js'

/*
 * Inputs for the decoder fuzz tests that get past the first check. Random bytes almost never
 * decode as CBOR, and random CBOR almost never has a frame's shape, so neither reaches the field
 * checks behind them; edits of a valid frame do. Two kinds: byte edits of its encoding (what a
 * broken or hostile encoder sends) and edits of its value before encoding (a field of another
 * type, length or value, a key added or taken away). Nothing here is used by the core.
 */

/** CBOR initial bytes that change how what follows is read: lengths of 1–8 bytes, indefinite lengths, tags, simple values, floats, break. */
const CBOR_HEADS = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x58, 0x5a, 0x5b, 0x5f, 0x60, 0x78, 0x7a, 0x7b, 0x7f, 0x80, 0x98, 0x9b, 0x9f, 0xa0, 0xb8, 0xbb, 0xbf, 0xc0, 0xc2, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

type ByteEdit =
  | { op: 'set'; at: number; value: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number }
  | { op: 'truncate'; at: number }
  | { op: 'repeat'; at: number; count: number; times: number }

const position = fc.nat({ max: 1 << 20 })
// Overwrites and flips weigh most: they keep the length, so more of them still decode as CBOR
// and reach the checks behind it; the others mostly test the CBOR decoder itself.
const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at: position, value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...CBOR_HEADS)) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 9 }), fc.constantFrom(...CBOR_HEADS).map((b) => Uint8Array.of(b))) }),
  fc.record({ op: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('repeat' as const), at: position, count: fc.integer({ min: 1, max: 40 }), times: fc.integer({ min: 1, max: 4 }) })
)

function applyByteEdit(bytes: Uint8Array, edit: ByteEdit): Uint8Array {
  const length = bytes.byteLength
  // Positions are drawn before the length is known (edits apply one after another).
  const at = length === 0 ? 0 : edit.at % length
  switch (edit.op) {
    case 'set': { const out = Uint8Array.from(bytes); if (length > 0) out[at] = edit.value; return out }
    case 'flip': { const out = Uint8Array.from(bytes); if (length > 0) out[at] = (out[at] ?? 0) ^ (1 << edit.bit); return out }
    case 'insert': return concat(bytes.subarray(0, at), edit.bytes, bytes.subarray(at))
    case 'delete': return concat(bytes.subarray(0, at), bytes.subarray(at + edit.count))
    case 'truncate': return Uint8Array.from(bytes.subarray(0, at))
    case 'repeat': {
      const slice = bytes.subarray(at, at + edit.count)
      return concat(bytes.subarray(0, at), ...Array.from({ length: edit.times + 1 }, () => slice), bytes.subarray(at + edit.count))
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.byteLength }
  return out
}

/**
 * One to `maxEdits` byte edits of `valid`: overwrites, bit flips, inserts, deletes, truncation, a
 * slice repeated. Every edit makes a copy (a Buffer's `slice` would be a view, and edit the original).
 */
export function mutatedBytes(valid: Uint8Array, maxEdits = 2): fc.Arbitrary<Uint8Array> {
  return fc.array(byteEdit, { minLength: 1, maxLength: maxEdits }).map((edits) => edits.reduce(applyByteEdit, valid))
}

/**
 * Any value cborg encodes: what a peer's CBOR may decode to (plus `undefined`, which cborg also
 * writes). Big integers stay within 64 bits, the most CBOR's integer heads carry.
 */
export const cborValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.constantFrom(null, undefined, true, false),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie('value'), { maxKeys: 4, noNullPrototype: true })
  )
})).value

/** Lengths on both sides of the limits the decoders state (ids, names, arrays, byte fields). */
const LENGTHS = [0, 1, 2, 8, 31, 32, 33, 40, 41, 63, 64, 65, 80, 81, 120, 121, 128, 129, 200, 201, 250, 251, 256, 257, 300, 301, 1000, 1001, 1024, 1025, 2001, 4095, 4096, 4097]
/** Numbers at the edges of integer, sign and float checks. */
const NUMBERS: unknown[] = [0, -0, 1, -1, 0.5, 1.5, 255, 256, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -Number.MAX_SAFE_INTEGER - 1, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, 2n ** 64n - 1n, -(2n ** 63n)]
/** Strings that tempt normalisation, code-unit counts and prototype lookups. */
const STRINGS = ['', ' ', '\u0000', '\u200b', '\t\n', 'é', 'e\u0301', '𝒜', '\ud800', 'ﬀ', 'क़', '__proto__', 'constructor', 'toString', 'hasOwnProperty']
/** Keys a decoder may look up or special-case. */
const KEYS = ['t', 'v', 'error', 'code', 'message', 'ws', 'env', 'for', 'extra', '__proto__', 'constructor', '']

type ValueEdit =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'remove'; at: number }
  | { op: 'addKey'; at: number; key: string; value: unknown }
  | { op: 'resize'; at: number; length: number }
  | { op: 'number'; at: number; value: unknown }
  | { op: 'string'; at: number; value: string }

const valueEdit: fc.Arbitrary<ValueEdit> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: position, value: cborValue }),
  fc.record({ op: fc.constant('remove' as const), at: position }),
  fc.record({ op: fc.constant('addKey' as const), at: position, key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), value: cborValue }),
  fc.record({ op: fc.constant('resize' as const), at: position, length: fc.constantFrom(...LENGTHS) }),
  fc.record({ op: fc.constant('number' as const), at: position, value: fc.constantFrom(...NUMBERS) }),
  fc.record({ op: fc.constant('string' as const), at: position, value: fc.constantFrom(...STRINGS) })
)

type Path = Array<string | number>

/** Every place in a value an edit can reach, the value itself first. */
function placesIn(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path)
  if (isList(value)) value.forEach((item, i) => placesIn(item, [...path, i], out))
  else if (isRecord(value)) for (const key of Object.keys(value)) placesIn(value[key], [...path, key], out)
  return out
}

function isList(value: unknown): value is unknown[] {
  return Array.isArray(value)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !isList(value) && !(value instanceof Uint8Array)
}

function childOf(value: unknown, key: string | number): unknown {
  if (isList(value)) return value[key as number]
  return isRecord(value) ? value[key] : undefined
}

/** A copy of `root` with the value at `path` replaced by `make(old)`, or removed when `make` returns `REMOVE`. */
function edited(root: unknown, path: Path, make: (old: unknown) => unknown): unknown {
  const [key, ...rest] = path
  if (key === undefined) return make(root)
  const child = edited(childOf(root, key), rest, make)
  if (isList(root)) {
    const copy: unknown[] = [...root]
    if (child === REMOVE) copy.splice(key as number, 1)
    else copy[key as number] = child
    return copy
  }
  const copy: Record<string, unknown> = {}
  // defineProperty keeps a `__proto__` key an own key instead of setting the prototype.
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) if (k !== key) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true })
  if (child !== REMOVE) Object.defineProperty(copy, String(key), { value: child, enumerable: true, writable: true, configurable: true })
  return copy
}

const REMOVE = Symbol('remove')

function resized(old: unknown, length: number): unknown {
  if (typeof old === 'string') return (old === '' ? 'a' : old).repeat(Math.ceil(length / Math.max(old.length, 1))).slice(0, length)
  if (old instanceof Uint8Array) {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i++) out[i] = old[i % Math.max(old.byteLength, 1)] ?? 0
    return out
  }
  if (isList(old)) return Array.from({ length }, (_, i) => old[i % Math.max(old.length, 1)] ?? null)
  return length
}

function applyValueEdit(value: unknown, edit: ValueEdit): unknown {
  const places = placesIn(value)
  const path = places[edit.at % places.length] ?? []
  switch (edit.op) {
    case 'replace': return edited(value, path, () => edit.value)
    case 'remove': return path.length === 0 ? undefined : edited(value, path, () => REMOVE)
    case 'addKey': return edited(value, path, (old) => {
      if (!isRecord(old)) return old
      const copy = { ...old }
      Object.defineProperty(copy, edit.key, { value: edit.value, enumerable: true, writable: true, configurable: true })
      return copy
    })
    case 'resize': return edited(value, path, (old) => resized(old, edit.length))
    case 'number': return edited(value, path, () => edit.value)
    case 'string': return edited(value, path, (old) => (typeof old === 'string' && old.length > 0 ? old.slice(0, -1) + edit.value : edit.value))
  }
}

/**
 * One to `maxEdits` edits of a valid frame's value: a field replaced by any CBOR value, removed,
 * resized across the limits, set to an edge number or string, or a key added. Encode the result
 * to get the bytes a peer would send.
 */
export function mutatedValue(valid: unknown, maxEdits = 3): fc.Arbitrary<unknown> {
  return fc.array(valueEdit, { minLength: 1, maxLength: maxEdits }).map((edits) => edits.reduce(applyValueEdit, valid))
}

/** Length-prefixed frames of a value that was a list of frames before it was edited (or of the one value it became). */
export function framesOf(values: unknown): Uint8Array {
  return concatFrames((isList(values) ? values : [values]).map(cborFrame))
}
