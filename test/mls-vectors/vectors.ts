// Loads the RFC 9420 interop vectors from test/fixtures/mls-vectors and exposes them as
// typed views: JSON.parse yields `any`, so every read here narrows from `unknown` and a
// malformed fixture fails with the exact path instead of an undefined deep inside ts-mls.
import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { hexToBytes } from './hex.js'

// Compiled tests run from dist/test/mls-vectors/, sources from test/mls-vectors/; both are
// three levels below the repo root, so this resolves to the committed fixtures either way.
export const FIXTURES_DIR = new URL('../../../test/fixtures/mls-vectors/', import.meta.url)

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** One JSON value inside a vector file, with its path (e.g. `treekem[3].update_paths[1]`) for error messages. */
export class Json {
  constructor(
    readonly value: unknown,
    readonly path: string
  ) {}

  get(key: string): Json {
    if (!isRecord(this.value)) throw new TypeError(`${this.path}: expected an object`)
    if (!Object.hasOwn(this.value, key)) throw new TypeError(`${this.path}.${key}: missing`)
    return new Json(this.value[key], `${this.path}.${key}`)
  }

  has(key: string): boolean {
    return isRecord(this.value) && Object.hasOwn(this.value, key)
  }

  isNull(): boolean {
    return this.value === null
  }

  string(): string {
    if (typeof this.value !== 'string') throw new TypeError(`${this.path}: expected a string`)
    return this.value
  }

  number(): number {
    if (typeof this.value !== 'number' || !Number.isSafeInteger(this.value)) {
      throw new TypeError(`${this.path}: expected an integer`)
    }
    return this.value
  }

  bytes(): Uint8Array {
    return hexToBytes(this.string())
  }

  array(): Json[] {
    if (!Array.isArray(this.value)) throw new TypeError(`${this.path}: expected an array`)
    const items: unknown[] = this.value
    return items.map((item, i) => new Json(item, `${this.path}[${i}]`))
  }

  // Shorthands for the common "field of this object" reads.
  str(key: string): string {
    return this.get(key).string()
  }

  num(key: string): number {
    return this.get(key).number()
  }

  hex(key: string): Uint8Array {
    return this.get(key).bytes()
  }

  list(key: string): Json[] {
    return this.get(key).array()
  }
}

/** Reads `<name>.json`, or `<name>.json.gz` for the large files kept compressed in git. */
export function loadVectors(name: string): Json[] {
  const plain = new URL(`${name}.json`, FIXTURES_DIR)
  const gz = new URL(`${name}.json.gz`, FIXTURES_DIR)
  let text: string
  if (existsSync(plain)) text = readFileSync(plain, 'utf8')
  else if (existsSync(gz)) text = gunzipSync(readFileSync(gz)).toString('utf8')
  else throw new Error(`missing MLS vector fixture ${name}.json(.gz) in ${FIXTURES_DIR.pathname}`)
  const parsed: unknown = JSON.parse(text)
  return new Json(parsed, name).array()
}
