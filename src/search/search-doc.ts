import { fold } from './fold.js'

/** A message as the search index takes it. */
export interface IndexedDoc {
  /** What names the message to its owner (chat: `conv!author!seq`); a recall or an edit names it so. */
  ref: string
  conv: string
  author: string
  /** Sent at (ms). */
  at: number
  /** The text to find it by: a message's text, a file's caption and name. */
  text: string
  file?: boolean
  mentions?: readonly string[]
  all?: boolean
  /** A part of a note's or board's text (docs/doc-search.ts), not a message. */
  doc?: boolean
}

/** A document at rest (sealed): what a hit is confirmed against and filtered by. */
export interface DocRecord {
  r: string
  c: string
  a: string
  at: number
  /** Folded text. */
  t: string
  f?: 1
  m?: string[]
  all?: 1
  /** A part of a doc's text. */
  d?: 1
}

/** Characters of a text indexed and kept for confirming: a message's limit, and then some for a file name. */
export const MAX_DOC_CHARS = 17_000

const LINK = /\b(?:https?:\/\/|www\.)\S/i

export function toDocRecord(doc: IndexedDoc): DocRecord {
  return {
    r: doc.ref,
    c: doc.conv,
    a: doc.author,
    at: doc.at,
    t: fold(doc.text.slice(0, MAX_DOC_CHARS)),
    ...(doc.file === true ? { f: 1 as const } : {}),
    ...(doc.mentions === undefined || doc.mentions.length === 0 ? {} : { m: [...doc.mentions] }),
    ...(doc.all === true ? { all: 1 as const } : {}),
    ...(doc.doc === true ? { d: 1 as const } : {})
  }
}

/**
 * Facet tokens: a filter reads these postings instead of confirming every hit. They start with a
 * character no text token starts with (text tokens are `c`, `p` or `e` and then folded text).
 */
export const facet = {
  in: (conv: string): string => `fin:${conv}`,
  from: (author: string): string => `ffrom:${author}`,
  file: 'fhas:file',
  link: 'fhas:link',
  mentions: (device: string): string => `fat:${device}`,
  everyone: 'fat:*',
  /** Parts of docs' text, which a search for messages passes over and a search for docs reads. */
  doc: 'fis:doc'
} as const

export function facetsOf(doc: DocRecord): string[] {
  if (doc.d === 1) return [facet.in(doc.c), facet.doc]
  const out = [facet.in(doc.c), facet.from(doc.a)]
  if (doc.f === 1) out.push(facet.file)
  if (LINK.test(doc.t)) out.push(facet.link)
  for (const m of doc.m ?? []) out.push(facet.mentions(m))
  if (doc.all === 1) out.push(facet.everyone)
  return out
}

/** Does a document carry a link (what `has: link` filters by)? */
export function hasLink(doc: DocRecord): boolean {
  return LINK.test(doc.t)
}
