/** A text cut into runs that matched a search and runs that did not, for `<mark>`. */
export interface Run { text: string; hit: boolean }

/** Splits `text` at the core's [start, end) highlight ranges (sorted, not overlapping). */
export function highlightRuns(text: string, ranges: ReadonlyArray<readonly [number, number]>): Run[] {
  const runs: Run[] = []
  let at = 0
  for (const [start, end] of ranges) {
    const s = Math.max(at, Math.min(start, text.length))
    const e = Math.max(s, Math.min(end, text.length))
    if (s > at) runs.push({ text: text.slice(at, s), hit: false })
    if (e > s) runs.push({ text: text.slice(s, e), hit: true })
    at = e
  }
  if (at < text.length) runs.push({ text: text.slice(at), hit: false })
  return runs
}

export type DateRange = 'any' | 'today' | 'week' | 'month' | 'year'

/** The start (ms) of a date range ending now, local time; undefined for any time. */
export function rangeStart(range: DateRange, now = new Date()): number | undefined {
  if (range === 'any') return undefined
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate())
  if (range === 'today') return day.getTime()
  if (range === 'week') return day.getTime() - 6 * 86_400_000
  if (range === 'month') return new Date(now.getFullYear(), now.getMonth() - 1, now.getDate()).getTime()
  return new Date(now.getFullYear() - 1, now.getMonth(), now.getDate()).getTime()
}
