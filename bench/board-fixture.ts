import * as Y from 'yjs'

/** Shape number `i` of a board like people draw: mostly pen strokes (40 points, stored in integer tenths as the board stores them), some boxes and notes. */
function shape(i: number): Record<string, unknown> {
  const x = (i % 400) * 50
  const y = Math.floor(i / 400) * 50
  if (i % 4 === 0) return { type: 'rect', x, y, w: 40, h: 30, color: '#1f2328', width: 2, z: i, author: 'bench' }
  if (i % 10 === 1) return { type: 'sticky', x, y, w: 120, h: 80, color: '#f5c518', width: 2, text: 'note', size: 16, z: i, author: 'bench' }
  return { type: 'pen', x, y, w: 40, h: 40, points: Array.from({ length: 80 }, (_, k) => Math.round((k * 7.3) % 40 * 10)), color: '#1f2328', width: 2, z: i, author: 'bench' }
}

/** A board of `shapes` shapes as one update (as if pasted in one go). */
export function boardUpdate(shapes: number): Uint8Array {
  const doc = new Y.Doc()
  const map = doc.getMap('shapes')
  doc.transact(() => { for (let i = 0; i < shapes; i++) map.set(`s${i}`, shape(i)) })
  return Y.encodeStateAsUpdate(doc)
}

/**
 * A board as a day of drawing makes it: `edits` separate updates, one per gesture. Of every 20,
 * 16 draw a new shape, 3 move an earlier one (the map entry is replaced, leaving a deleted item
 * behind) and 1 erases one. Returns the updates in order, the editor that made them (its state
 * is the finished board) and how many shapes remain.
 */
export function boardEdits(edits: number): { updates: Uint8Array[]; editor: Y.Doc; shapes: number } {
  const editor = new Y.Doc()
  const map = editor.getMap<Record<string, unknown>>('shapes')
  const updates: Uint8Array[] = []
  editor.on('update', (u: Uint8Array) => { updates.push(u) })
  let drawn = 0
  for (let i = 0; i < edits; i++) {
    const kind = i % 20
    // Earlier shapes are picked by a fixed stride, so every run edits the same ones.
    const earlier = `s${(i * 7919) % Math.max(1, drawn)}`
    const old = map.get(earlier)
    if (kind === 19 && old !== undefined) map.delete(earlier)
    else if (kind >= 16 && old !== undefined) map.set(earlier, { ...old, x: Number(old.x) + 12, y: Number(old.y) + 7 })
    else map.set(`s${drawn}`, shape(drawn++))
  }
  return { updates, editor, shapes: map.size }
}
