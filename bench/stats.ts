/** Small helpers every benchmark uses: percentiles, a printed table, the JSON file. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from '../test/helpers/node-process.js'

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1))
  return sortedMs[i] ?? Number.NaN
}

export interface Summary { p50: number; p99: number; max: number; mean: number; n: number }

export function summarize(samplesMs: number[]): Summary {
  const sorted = [...samplesMs].sort((a, b) => a - b)
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN, mean, n: sorted.length }
}

export interface Row { metric: string; enclave: string; baseline: string; target: string; met: string }

export function printTable(title: string, rows: Row[]): void {
  const header: Row = { metric: 'metric', enclave: 'enclave', baseline: 'baseline', target: 'target', met: 'met' }
  const all = [header, ...rows]
  const keys: Array<keyof Row> = ['metric', 'enclave', 'baseline', 'target', 'met']
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)))
  const line = (r: Row): string => keys.map((k, i) => r[k].padEnd(widths[i] ?? 0)).join('  ')
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`)
  for (const r of rows) process.stdout.write(line(r) + '\n')
}

/**
 * Writes `bench/results/<name>.json` in the repository (git-ignored), where the README says
 * results are. Computed from the repo root, not from this file: benches run compiled from
 * dist/bench/, and a path relative to the script would land in dist/.
 */
export async function writeResults(name: string, data: Record<string, unknown>): Promise<void> {
  const dir = join(repoRoot(), 'bench', 'results')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, `${name}.json`), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...data }, null, 2) + '\n')
  process.stdout.write(`\nwrote bench/results/${name}.json\n`)
}

/**
 * Waits for a condition that events make true: call `wake()` from the event handlers, `until()`
 * resolves as soon as the condition holds (no polling), and fails if nothing happens for 60 s.
 */
export function eventWaiter(): { wake: () => void; until: (cond: () => boolean) => Promise<void> } {
  let check: (() => void) | undefined
  return {
    wake: () => { check?.() },
    until: (cond) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('benchmark stalled for 60 s')) }, 60_000)
      check = () => { if (cond()) { clearTimeout(timer); check = undefined; resolve() } }
      check()
    })
  }
}

/** mulberry32: a small seeded generator, the same on every machine (deterministic corpora). */
export function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
