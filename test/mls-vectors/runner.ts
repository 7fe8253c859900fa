// Runs one vector family as one node:test test with a subtest per vector (and per crypto
// provider), so failures and skips are counted per vector by the test runner itself.
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { CiphersuiteImpl } from 'ts-mls'
import { bytesToHex } from './hex.js'
import type { ProviderChoice } from './suites.js'
import { ALL_PROVIDERS, loadSuite } from './suites.js'
import type { Json } from './vectors.js'

/** One vector under test; its assertion helpers prefix every message with family, index and suite. */
export class VectorCase {
  constructor(
    readonly v: Json,
    readonly where: string
  ) {}

  msg(what: string): string {
    return `${this.where}: ${what}`
  }

  // Compared as hex so a mismatch prints readable values rather than two byte dumps.
  bytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
    assert.equal(bytesToHex(actual), bytesToHex(expected), this.msg(what))
  }

  equal(actual: unknown, expected: unknown, what: string): void {
    assert.deepStrictEqual(actual, expected, this.msg(what))
  }

  ok(value: boolean, what: string): void {
    assert.equal(value, true, this.msg(what))
  }

  /** Narrows a value the vector says must exist (a decoded struct, a found entry). */
  some<T>(value: T | undefined | null, what: string): T {
    if (value === undefined || value === null) assert.fail(this.msg(`${what}: missing`))
    return value
  }
}

interface Tally {
  ran: number
  skips: Map<string, Map<number, number>>
}

function describeSkips(tally: Tally): string {
  const parts: string[] = []
  for (const [reason, bySuite] of tally.skips) {
    const suites = [...bySuite].map(([id, n]) => `suite ${id} ×${n}`).join(', ')
    parts.push(`${suites}: ${reason}`)
  }
  return parts.join('; ')
}

function report(t: TestContext, family: string, head: string, tally: Tally, note?: string): void {
  const skipped = [...tally.skips.values()].flatMap((m) => [...m.values()]).reduce((a, b) => a + b, 0)
  const detail = skipped > 0 ? ` (${describeSkips(tally)})` : ''
  const tail = note === undefined ? '' : `; ${note}`
  t.diagnostic(`${family}: ${head}: ran ${tally.ran}, skipped ${skipped}${detail}${tail}`)
}

export interface SuiteRunOptions {
  /** Providers to run every vector under (default: both); heavy families pass HEAVY_PROVIDERS. */
  readonly providers?: readonly ProviderChoice[]
  /** Appended to the family's summary line (e.g. which subset ran). */
  readonly note?: string
}

/** For families whose vectors carry `cipher_suite`: one subtest per vector per provider. */
export async function runSuiteVectors(
  t: TestContext,
  family: string,
  vectors: readonly Json[],
  body: (c: VectorCase, impl: CiphersuiteImpl) => Promise<void>,
  options: SuiteRunOptions = {}
): Promise<void> {
  const providers = options.providers ?? ALL_PROVIDERS
  const tally: Tally = { ran: 0, skips: new Map() }
  for (const choice of providers) {
    for (const [index, v] of vectors.entries()) {
      const n = v.num('cipher_suite')
      const suite = await loadSuite(n, choice)
      const where = `${family} #${index} suite ${n} [${choice.name}]`
      if (!suite.ok) {
        const bySuite = tally.skips.get(suite.reason) ?? new Map<number, number>()
        bySuite.set(n, (bySuite.get(n) ?? 0) + 1)
        tally.skips.set(suite.reason, bySuite)
        await t.test(`${where} ${suite.name}`, { skip: suite.reason }, () => undefined)
        continue
      }
      await t.test(`${where} ${suite.name}`, () => body(new VectorCase(v, where), suite.impl))
      tally.ran++
    }
  }
  const names = providers.map((p) => p.name).join('+')
  report(t, family, `${vectors.length} vectors × provider ${names}`, tally, options.note)
}

/** For suite-independent families (tree-math, messages, deserialization). */
export async function runPlainVectors(
  t: TestContext,
  family: string,
  vectors: readonly Json[],
  body: (c: VectorCase) => void | Promise<void>
): Promise<void> {
  const tally: Tally = { ran: 0, skips: new Map() }
  for (const [index, v] of vectors.entries()) {
    const where = `${family} #${index}`
    await t.test(where, () => body(new VectorCase(v, where)))
    tally.ran++
  }
  report(t, family, `${vectors.length} vectors, suite-independent`, tally)
}
