import * as Y from 'yjs'

/** Where a note's text lives (the editor's Collaboration field) and where a board keeps its shapes. */
export const NOTE_FRAGMENT = 'note'
export const BOARD_SHAPES = 'shapes'

/** Characters of a doc's text that search reads: a long handbook, not a pasted log of megabytes. */
export const MAX_DOC_TEXT = 200_000

/**
 * The words in a doc, as search finds them: a note's text block by block (one line each, marks
 * and links dropped), a board's text boxes and sticky notes. Anything else a member put in the
 * doc (any doc's content comes from members, so it is read as untrusted) adds nothing.
 */
export function docText(doc: Y.Doc, kind: 'note' | 'board'): string {
  const out: string[] = []
  let size = 0
  const push = (text: string): boolean => {
    if (text === '') return size < MAX_DOC_TEXT
    out.push(text.slice(0, MAX_DOC_TEXT - size))
    size += text.length + 1
    return size < MAX_DOC_TEXT
  }
  if (kind === 'note') blocksOf(doc.getXmlFragment(NOTE_FRAGMENT), push)
  else {
    for (const shape of doc.getMap<unknown>(BOARD_SHAPES).values()) {
      if (typeof shape !== 'object' || shape === null) continue
      const text = (shape as { text?: unknown }).text
      if (typeof text === 'string' && !push(text)) break
    }
  }
  return out.join('\n')
}

/** Walks a note's tree: each element with text directly in it gives one line. */
function blocksOf(node: Y.XmlFragment | Y.XmlElement, push: (text: string) => boolean): boolean {
  let line = ''
  for (const child of node.toArray()) {
    if (child instanceof Y.XmlText) {
      for (const op of child.toDelta() as Array<{ insert?: unknown }>) if (typeof op.insert === 'string') line += op.insert
      continue
    }
    if (!(child instanceof Y.XmlElement)) continue
    if (line !== '' && !push(line)) return false
    line = ''
    if (!blocksOf(child, push)) return false
  }
  return push(line)
}
