import { LINE_HEIGHT, STICKY_PADDING, stickyFill, type Shape } from './board-model'
import { fontOf, penOutline, shapePath, shapeText, traceOutline } from './board-paths'
import type { Camera } from './board-camera'
import type { Rect } from './board-geometry'

/** The board is drawn on light paper; the dark theme inverts the view's lightness (Whiteboard.svelte), so ink drawn in one theme reads in the other. */
export const PAPER = '#fbfbfc'
const GRID_DOT = '#d3d6de'
export const NOTE_INK = '#1e1e1e'
/** Grid spacing, board units; doubled while the dots would be closer than MIN_GRID_PX on screen. */
const GRID = 24
const MIN_GRID_PX = 12
/** Below this many screen pixels a shape is a dot and text a grey bar: the eye can't tell, the frame time can. */
const DOT_PX = 2
const GREEK_PX = 4
/** A note's lines thinner than this are left out: the note's colour says enough. */
const MIN_LINE_PX = 2

/** The dot grid over `area` (CSS pixels of the view; the context maps CSS pixels). */
export function drawGrid(ctx: CanvasRenderingContext2D, c: Camera, area: Rect): void {
  let step = GRID
  while (step * c.zoom < MIN_GRID_PX) step *= 2
  const px = step * c.zoom
  const first = (origin: number, from: number): number => (Math.ceil((origin + from / c.zoom) / step) * step - origin) * c.zoom
  ctx.fillStyle = GRID_DOT
  // One fillRect per dot: a single path of thousands of squares fills far slower without a GPU.
  for (let x = first(c.x, area.x - 1); x < area.x + area.w + 1; x += px) {
    for (let y = first(c.y, area.y - 1); y < area.y + area.h + 1; y += px) ctx.fillRect(Math.round(x) - 1, Math.round(y) - 1, 2, 2)
  }
}

/** Draws a stored shape in board coordinates (the context's transform maps them to pixels). */
export function drawShape(ctx: CanvasRenderingContext2D, s: Shape, zoom: number, bounds: Rect): void {
  if (bounds.w * zoom < DOT_PX && bounds.h * zoom < DOT_PX) {
    ctx.fillStyle = s.type === 'sticky' ? stickyFill(s.color) : s.color
    ctx.fillRect(bounds.x, bounds.y, Math.max(bounds.w, DOT_PX / zoom), Math.max(bounds.h, DOT_PX / zoom))
    return
  }
  ctx.translate(s.x, s.y)
  const path = shapePath(s)
  switch (s.type) {
    case 'pen':
      ctx.fillStyle = s.color
      if (path !== null) ctx.fill(path)
      break
    case 'sticky':
      ctx.fillStyle = stickyFill(s.color)
      ctx.strokeStyle = s.color
      ctx.lineWidth = 1 / zoom
      if (path !== null) { ctx.fill(path); ctx.stroke(path) }
      if ((s.size ?? 16) * LINE_HEIGHT * zoom >= MIN_LINE_PX) drawText(ctx, s, NOTE_INK, zoom, STICKY_PADDING, s.h - STICKY_PADDING)
      break
    case 'text':
      drawText(ctx, s, s.color, zoom, 0, Infinity)
      break
    case 'rect':
    case 'ellipse':
    case 'line':
    case 'arrow':
      ctx.strokeStyle = s.color
      ctx.lineWidth = s.width
      ctx.lineCap = 'round'
      ctx.lineJoin = 'round'
      if (path !== null) ctx.stroke(path)
      break
  }
  ctx.translate(-s.x, -s.y)
}

/** Lines of a text shape or note, from `inset` in, stopping before the line that would pass `bottom`. */
function drawText(ctx: CanvasRenderingContext2D, s: Shape, color: string, zoom: number, inset: number, bottom: number): void {
  const layout = shapeText(s)
  const size = s.size ?? 16
  const top = inset + (layout.lineHeight - size) / 2
  ctx.fillStyle = color
  if (size * zoom < GREEK_PX) {
    ctx.globalAlpha = 0.35
    for (let i = 0; i < layout.lines.length && inset + (i + 1) * layout.lineHeight <= bottom; i++) {
      if (layout.lines[i] !== '') ctx.fillRect(inset, top + i * layout.lineHeight + size * 0.2, Math.min(layout.width, s.w - 2 * inset), size * 0.6)
    }
    ctx.globalAlpha = 1
    return
  }
  ctx.font = fontOf(size)
  ctx.textBaseline = 'top'
  for (let i = 0; i < layout.lines.length && inset + (i + 1) * layout.lineHeight <= bottom; i++) {
    ctx.fillText(layout.lines[i] ?? '', inset, top + i * layout.lineHeight)
  }
}

/** The shape being drawn: a pen stroke still growing (absolute points), or a box or line. */
export function drawDraft(ctx: CanvasRenderingContext2D, s: Shape, zoom: number): void {
  if (s.type !== 'pen' || s.points === undefined) {
    drawShape(ctx, s, zoom, { x: s.x, y: s.y, w: Math.max(s.w, 1), h: Math.max(s.h, 1) })
    return
  }
  const path = new Path2D()
  traceOutline(path, penOutline(s.points, s.width, false))
  ctx.fillStyle = s.color
  ctx.fill(path)
}
