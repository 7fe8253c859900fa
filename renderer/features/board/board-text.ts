import { fontSizeFor, LINE_HEIGHT, PALETTE, round1, STICKY_COLOR, STICKY_FONT, STICKY_SIZE, type Shape } from './board-model'
import { layoutText } from './board-paths'
import type { Point } from './board-geometry'

/** An empty text (its first line centred on `p`) or sticky note (centred on `p`), not yet stored. */
export function newTextShape(type: 'text' | 'sticky', p: Point, style: { color: string; width: number; author: string }): Shape {
  // A note in the default ink would be grey: notes default to yellow.
  const color = type === 'sticky' && style.color === PALETTE[0] ? STICKY_COLOR : style.color
  const base = { color, width: style.width, z: 0, author: style.author, text: '' }
  if (type === 'sticky') {
    return { type, x: round1(p.x - STICKY_SIZE / 2), y: round1(p.y - STICKY_SIZE / 2), w: STICKY_SIZE, h: STICKY_SIZE, size: STICKY_FONT, ...base }
  }
  const size = fontSizeFor(style.width)
  return { type, x: round1(p.x), y: round1(p.y - (size * LINE_HEIGHT) / 2), w: 0, h: round1(size * LINE_HEIGHT), size, ...base }
}

/** The shape with `text`; a text shape's box is measured to fit it (a note keeps its size). */
export function withText(shape: Shape, text: string): Shape {
  if (shape.type !== 'text') return { ...shape, text }
  const layout = layoutText(text, shape.size ?? fontSizeFor(shape.width), null)
  return { ...shape, text, w: round1(layout.width), h: round1(layout.height) }
}
