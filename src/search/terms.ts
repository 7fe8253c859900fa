import { CharKind, fold, foldWithOffsets, kindOf } from './fold.js'

/**
 * How folded text becomes index tokens and queries become terms.
 *
 * - Chinese, Japanese and Korean runs are indexed as overlapping bigrams: any substring of two
 *   or more characters is found (all its bigrams are in the text), with no dictionary. A query's
 *   run is confirmed as a substring of the text, since bigrams alone lose their order.
 * - Words of other scripts are indexed by their prefixes of 2 to 6 characters: a query word finds
 *   every word it begins ("meet" → meeting), and a longer one is confirmed against the text.
 * - Each pictograph is a token of its own. Facets (conversation, sender, has-file, mentions) are
 *   tokens too, so a filter narrows the postings read instead of the hits confirmed.
 */

/** Longest word prefix indexed; longer query words use it and are confirmed. */
const PREFIX_MAX = 6
/** Tokens kept per text: a pasted dump of random characters cannot blow up the index. */
export const MAX_TOKENS_PER_DOC = 4096

export type TermKind = 'cjk' | 'word' | 'emoji'

export interface Term {
  kind: TermKind
  /** Folded. */
  text: string
  /** Index tokens that must all be present; empty for a term too short to look up (confirmed only). */
  tokens: string[]
}

interface Run { kind: CharKind; chars: string[]; start: number }

/** The runs of one kind in folded text, gaps dropped; each pictograph a run of its own. */
function runsOf(folded: string): Run[] {
  const runs: Run[] = []
  let current: Run | undefined
  let at = 0
  for (const ch of folded) {
    const kind = kindOf(ch.codePointAt(0) ?? 0)
    if (kind === CharKind.Gap || kind === CharKind.Emoji || current?.kind !== kind) {
      current = kind === CharKind.Gap ? undefined : { kind, chars: [], start: at }
      if (current !== undefined) runs.push(current)
    }
    current?.chars.push(ch)
    if (kind === CharKind.Emoji) current = undefined
    at += ch.length
  }
  return runs
}

const bigrams = (chars: string[]): string[] => chars.slice(1).map((c, i) => `c${chars[i] ?? ''}${c}`)
const prefix = (chars: string[], n: number): string => `p${chars.slice(0, n).join('')}`

/** The distinct tokens of a folded text, at most MAX_TOKENS_PER_DOC, facets first. */
export function textTokens(folded: string, facets: readonly string[] = []): string[] {
  const out = new Set<string>(facets)
  for (const run of runsOf(folded)) {
    if (out.size >= MAX_TOKENS_PER_DOC) break
    if (run.kind === CharKind.Cjk) for (const b of bigrams(run.chars)) out.add(b)
    else if (run.kind === CharKind.Emoji) out.add(`e${run.chars.join('')}`)
    else for (let n = 2; n <= Math.min(run.chars.length, PREFIX_MAX); n++) out.add(prefix(run.chars, n))
  }
  return [...out].slice(0, MAX_TOKENS_PER_DOC)
}

/** A query's terms, folded. Terms of one character are kept, to be confirmed, but look nothing up. */
export function queryTerms(query: string): Term[] {
  const text = fold(query)
  return runsOf(text).map((run): Term => {
    const t = run.chars.join('')
    if (run.kind === CharKind.Emoji) return { kind: 'emoji', text: t, tokens: [`e${t}`] }
    if (run.kind === CharKind.Cjk) return { kind: 'cjk', text: t, tokens: bigrams(run.chars) }
    return { kind: 'word', text: t, tokens: run.chars.length < 2 ? [] : [prefix(run.chars, PREFIX_MAX)] }
  })
}

/** Does a term occur at `at` of folded text: a word only at a word's start. */
function startsWord(folded: string, at: number): boolean {
  if (at === 0) return true
  const before = folded.codePointAt(at - 1) ?? 0
  // A low surrogate: look at the whole character.
  const cp = before >= 0xDC00 && before <= 0xDFFF && at >= 2 ? folded.codePointAt(at - 2) ?? 0 : before
  return kindOf(cp) !== CharKind.Word
}

/** Where a term occurs in folded text: start offsets, at most `limit`. */
function occurrences(folded: string, term: Term, limit: number): number[] {
  const out: number[] = []
  let from = 0
  while (out.length < limit) {
    const at = folded.indexOf(term.text, from)
    if (at < 0) break
    if (term.kind !== 'word' || startsWord(folded, at)) out.push(at)
    from = at + 1
  }
  return out
}

/** Does folded text hold every term (words as word beginnings, runs as substrings)? */
export function matchesAll(folded: string, terms: readonly Term[]): boolean {
  return terms.every((term) => occurrences(folded, term, 1).length > 0)
}

/** Where the word that folded text has at `at` ends. */
function wordEnd(folded: string, at: number): number {
  let end = at
  while (end < folded.length) {
    const cp = folded.codePointAt(end) ?? 0
    if (kindOf(cp) !== CharKind.Word) break
    end += cp > 0xFFFF ? 2 : 1
  }
  return end
}

/**
 * Ranges [start, end) of the original `text` where the terms occur, sorted and merged; for
 * highlighting. A word term marks the whole word it begins ("budg" marks "budget").
 */
export function matchRanges(text: string, terms: readonly Term[], limit = 50): Array<[number, number]> {
  const { folded, from } = foldWithOffsets(text)
  const raw: Array<[number, number]> = []
  for (const term of terms) {
    for (const at of occurrences(folded, term, limit)) {
      const end = term.kind === 'word' ? wordEnd(folded, at + term.text.length) : at + term.text.length
      raw.push([from[at] ?? 0, from[end] ?? text.length])
    }
  }
  raw.sort((a, b) => a[0] - b[0])
  const out: Array<[number, number]> = []
  for (const r of raw) {
    const last = out.at(-1)
    if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1])
    else out.push([r[0], r[1]])
  }
  return out.slice(0, limit)
}
