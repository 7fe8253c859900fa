import { matchRanges, type Term } from './terms.js'

/** Characters of a hit's text shown around its first match. */
const SNIPPET_CHARS = 240
const SNIPPET_LEAD = 60

/** Markdown's marks, which a snippet shows as plain text. */
function plain(text: string): string {
  return text.replace(/(\*\*|__|~~|`+)/g, '').replace(/^\s{0,3}(?:>\s?|[-*+]\s+|\d+\.\s+|#{1,6}\s+)/gm, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
}

/** A hit's text around its first match, on one line, with the matches marked in it. */
export function snippetOf(text: string, terms: readonly Term[]): { snippet: string; highlights: Array<[number, number]> } {
  const whole = plain(text).replace(/\s+/g, ' ').trim()
  const first = matchRanges(whole, terms, 1)[0]?.[0] ?? 0
  const start = whole.length <= SNIPPET_CHARS || first < SNIPPET_LEAD ? 0 : first - SNIPPET_LEAD
  const cut = whole.slice(start, start + SNIPPET_CHARS)
  const snippet = `${start > 0 ? '…' : ''}${cut}${start + SNIPPET_CHARS < whole.length ? '…' : ''}`
  return { snippet, highlights: matchRanges(snippet, terms) }
}
