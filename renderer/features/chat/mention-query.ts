/** The @mention being typed at the caret: where its `@` is and what follows it. */
export interface MentionQuery {
  start: number
  query: string
}

/** Punctuation (ASCII and full-width) after which an `@` starts a mention, as a space does. */
const BEFORE = /(^|[\s(（，。、：；,.;:!?！？])@([^\s@]{0,32})$/u

/** The mention being typed just before `caret`, or null (an `@` inside a word, as in an address, is none). */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const match = BEFORE.exec(text.slice(0, caret))
  if (match === null) return null
  const query = match[2] ?? ''
  return { start: caret - query.length - 1, query }
}

/** The text with the query replaced by `@name ` and where the caret goes after it. */
export function completeMention(text: string, at: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `
  return { text: text.slice(0, at.start) + inserted + text.slice(caret), caret: at.start + inserted.length }
}

/** Who a message mentions: the chosen people whose `@name` is still in the text (deleted ones are not). */
export function mentionedIn<T extends { name: string }>(text: string, chosen: readonly T[]): T[] {
  return chosen.filter((c) => text.includes(`@${c.name}`))
}
