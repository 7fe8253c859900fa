import * as Y from 'yjs'

/** A board like people draw: mostly pen strokes (40 points, stored in integer tenths as the board stores them), some boxes and notes. */
export function boardUpdate(shapes: number): Uint8Array {
  const doc = new Y.Doc()
  const map = doc.getMap('shapes')
  doc.transact(() => {
    for (let i = 0; i < shapes; i++) {
      const x = (i % 400) * 50
      const y = Math.floor(i / 400) * 50
      if (i % 4 === 0) map.set(`s${i}`, { type: 'rect', x, y, w: 40, h: 30, color: '#1f2328', width: 2, z: i, author: 'bench' })
      else if (i % 10 === 1) map.set(`s${i}`, { type: 'sticky', x, y, w: 120, h: 80, color: '#f5c518', width: 2, text: 'note', size: 16, z: i, author: 'bench' })
      else map.set(`s${i}`, { type: 'pen', x, y, w: 40, h: 40, points: Array.from({ length: 80 }, (_, k) => Math.round((k * 7.3) % 40 * 10)), color: '#1f2328', width: 2, z: i, author: 'bench' })
    }
  })
  return Y.encodeStateAsUpdate(doc)
}
