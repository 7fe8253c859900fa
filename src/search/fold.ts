/**
 * Text as search compares it: case-, width- and accent-insensitive, one code point at a time, so
 * every character of the folded text maps back to where it came from (for highlighting). The
 * same folding runs on indexed texts and on queries; that they agree is all that matters.
 *
 * - ASCII letters lower-case; full-width forms (ＡＢＣ１２３, U+FF01–FF5E) become their ASCII
 *   twins and the ideographic space a space; half-width katakana become full-width (NFKC).
 * - Latin letters lose their accents (é → e, Ł stays ł: it has no decomposition).
 * - Everything else is NFKC and lower case (ﬁ → fi, ① → 1); kana keep their voicing marks.
 */

/**
 * What a folded character is to the tokenizer. Gap: spaces and punctuation separate terms. Word:
 * letters and digits of alphabetic scripts, whose terms are words. Cjk: Han, kana and Hangul,
 * whose terms are runs, indexed as bigrams. Emoji: each pictograph is a term.
 */
export const CharKind = { Gap: 0, Word: 1, Cjk: 2, Emoji: 3 } as const
export type CharKind = (typeof CharKind)[keyof typeof CharKind]

const LATIN_ACCENTED = /[\u00C0-\u024F\u1E00-\u1EFF]/
const MARKS = /\p{M}/gu
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3005\u30FC]/u
const WORD = /[\p{L}\p{N}]/u
const EMOJI = /\p{Extended_Pictographic}/u

/** Folded forms of code points met so far (a text uses few distinct ones). */
const folded = new Map<number, string>()
const kinds = new Map<number, CharKind>()
const FOLD_MEMO_LIMIT = 50_000

function foldSlow(cp: number): string {
  const ch = String.fromCodePoint(cp)
  if (cp >= 0xFF01 && cp <= 0xFF5E) return String.fromCharCode(cp - 0xFEE0).toLowerCase()
  if (cp === 0x3000) return ' '
  if (LATIN_ACCENTED.test(ch)) return ch.normalize('NFD').replace(MARKS, '').toLowerCase()
  // Variation selectors and joiners (emoji presentation, ZWJ sequences) carry no meaning to search.
  if (cp === 0xFE0F || cp === 0xFE0E || cp === 0x200D) return ''
  return ch.normalize('NFKC').toLowerCase()
}

/** The folded form of one code point ('' when it is dropped). */
export function foldCodePoint(cp: number): string {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5A ? String.fromCharCode(cp + 32) : String.fromCharCode(cp)
  // CJK Unified Ideographs: the bulk of Chinese text, unchanged.
  if (cp >= 0x4E00 && cp <= 0x9FFF) return String.fromCharCode(cp)
  let out = folded.get(cp)
  if (out === undefined) {
    out = foldSlow(cp)
    if (folded.size >= FOLD_MEMO_LIMIT) folded.clear()
    folded.set(cp, out)
  }
  return out
}

/** How the tokenizer treats a folded code point. */
export function kindOf(cp: number): CharKind {
  if (cp < 0x80) return (cp >= 0x61 && cp <= 0x7A) || (cp >= 0x30 && cp <= 0x39) ? CharKind.Word : CharKind.Gap
  if (cp >= 0x4E00 && cp <= 0x9FFF) return CharKind.Cjk
  let kind = kinds.get(cp)
  if (kind === undefined) {
    const ch = String.fromCodePoint(cp)
    kind = CJK.test(ch) ? CharKind.Cjk : WORD.test(ch) ? CharKind.Word : EMOJI.test(ch) ? CharKind.Emoji : CharKind.Gap
    if (kinds.size >= FOLD_MEMO_LIMIT) kinds.clear()
    kinds.set(cp, kind)
  }
  return kind
}

/** Folds a text for indexing and matching. */
export function fold(text: string): string {
  let out = ''
  for (const ch of text) out += foldCodePoint(ch.codePointAt(0) ?? 0)
  return out
}

/**
 * Folds a text and says, for each UTF-16 unit of the result, which unit of `text` it came from
 * (`from`), plus one more entry for the end: a match [a, b) in the folded text is [from[a], from[b])
 * in the original.
 */
export function foldWithOffsets(text: string): { folded: string; from: number[] } {
  let out = ''
  const from: number[] = []
  let at = 0
  for (const ch of text) {
    const f = foldCodePoint(ch.codePointAt(0) ?? 0)
    for (let i = 0; i < f.length; i++) from.push(at)
    out += f
    at += ch.length
  }
  from.push(at)
  return { folded: out, from }
}
