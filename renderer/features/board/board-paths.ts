import { getStroke } from 'perfect-freehand'
import { arrowHeadLength, FONT_FAMILY, LINE_HEIGHT, STICKY_PADDING, type Shape } from './board-model'

/** What both a canvas Path2D and the SVG exporter's path string can be built with. */
export interface PathSink {
  moveTo(x: number, y: number): void
  lineTo(x: number, y: number): void
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void
  closePath(): void
}

/** The pen's outline polygon around its points (perfect-freehand), in the points' coordinates. */
export function penOutline(points: readonly number[], width: number, finished = true): number[][] {
  const input: number[][] = []
  for (let i = 0; i + 1 < points.length; i += 2) input.push([points[i] ?? 0, points[i + 1] ?? 0])
  return getStroke(input, { size: width * 2, thinning: 0.5, smoothing: 0.5, streamline: 0.4, simulatePressure: true, last: finished })
}

/** A smooth closed curve through the midpoints of the outline's edges. */
export function traceOutline(sink: PathSink, outline: readonly number[][]): void {
  const n = outline.length
  if (n < 3) return
  const at = (i: number): number[] => outline[i % n] ?? [0, 0]
  const mid = (i: number): [number, number] => {
    const a = at(i), b = at(i + 1)
    return [((a[0] ?? 0) + (b[0] ?? 0)) / 2, ((a[1] ?? 0) + (b[1] ?? 0)) / 2]
  }
  const [sx, sy] = mid(0)
  sink.moveTo(sx, sy)
  for (let i = 1; i <= n; i++) {
    const c = at(i)
    const [x, y] = mid(i)
    sink.quadraticCurveTo(c[0] ?? 0, c[1] ?? 0, x, y)
  }
  sink.closePath()
}

/** The two short strokes of an arrow head at (x2, y2), pointing away from (x1, y1). */
export function arrowHead(x1: number, y1: number, x2: number, y2: number, width: number): [number, number, number, number] {
  const angle = Math.atan2(y2 - y1, x2 - x1)
  const length = Math.min(arrowHeadLength(width), Math.hypot(x2 - x1, y2 - y1) * 0.5 + width)
  const spread = Math.PI / 7
  return [
    x2 - length * Math.cos(angle - spread), y2 - length * Math.sin(angle - spread),
    x2 - length * Math.cos(angle + spread), y2 - length * Math.sin(angle + spread)
  ]
}

function tracePolyline(sink: PathSink, points: readonly number[]): void {
  sink.moveTo(points[0] ?? 0, points[1] ?? 0)
  // A single dot (a click with the line tool) still shows as a round cap.
  if (points.length < 4) sink.lineTo((points[0] ?? 0) + 0.01, points[1] ?? 0)
  for (let i = 2; i + 1 < points.length; i += 2) sink.lineTo(points[i] ?? 0, points[i + 1] ?? 0)
}

// Paths are built relative to the shape's (x, y), so a moved pen stroke (a new value with the
// same points array) reuses its outline: only the translation differs.
const penPaths = new WeakMap<readonly number[], { width: number; path: Path2D }>()
const paths = new WeakMap<Shape, Path2D>()

/** The cached path of a shape in its own coordinates; null for text, which has none. */
export function shapePath(shape: Shape): Path2D | null {
  if (shape.type === 'text') return null
  const points = shape.points
  if (shape.type === 'pen' && points !== undefined) {
    const cached = penPaths.get(points)
    if (cached?.width === shape.width) return cached.path
    const path = new Path2D()
    traceOutline(path, penOutline(points, shape.width))
    penPaths.set(points, { width: shape.width, path })
    return path
  }
  let path = paths.get(shape)
  if (path !== undefined) return path
  path = new Path2D()
  if (shape.type === 'rect' || shape.type === 'sticky') path.rect(0, 0, shape.w, shape.h)
  else if (shape.type === 'ellipse') path.ellipse(shape.w / 2, shape.h / 2, shape.w / 2, shape.h / 2, 0, 0, Math.PI * 2)
  else if (points !== undefined) {
    tracePolyline(path, points)
    if (shape.type === 'arrow' && points.length >= 4) {
      const n = points.length
      const x2 = points[n - 2] ?? 0, y2 = points[n - 1] ?? 0
      const [ax, ay, bx, by] = arrowHead(points[n - 4] ?? 0, points[n - 3] ?? 0, x2, y2, shape.width)
      path.moveTo(ax, ay)
      path.lineTo(x2, y2)
      path.lineTo(bx, by)
    }
  }
  paths.set(shape, path)
  return path
}

export interface TextLayout {
  lines: string[]
  /** Widest line, board units. */
  width: number
  height: number
  lineHeight: number
}

let measurer: CanvasRenderingContext2D | null = null

export function fontOf(size: number): string {
  return `${size}px ${FONT_FAMILY}`
}

/** Characters a line may break before or after, as in CJK text, which has no spaces. */
const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/

/**
 * Lines of `text` at `size`: its own line breaks, and with `maxWidth` also wrapped after
 * spaces and around CJK characters, or anywhere inside a word too long for a line.
 */
export function layoutText(text: string, size: number, maxWidth: number | null): TextLayout {
  measurer ??= document.createElement('canvas').getContext('2d')
  const ctx = measurer
  const measure = (s: string): number => ctx === null ? s.length * size * 0.6 : ctx.measureText(s).width
  if (ctx !== null) ctx.font = fontOf(size)
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    if (maxWidth === null || measure(paragraph) <= maxWidth) { lines.push(paragraph); continue }
    let line = ''
    /** Where `line` may be split: the end of its last space or CJK character. */
    let breakAt = 0
    for (const ch of paragraph) {
      const cjk = CJK.test(ch)
      if (line !== '' && measure(line + ch) > maxWidth) {
        const at = cjk || ch === ' ' ? line.length : breakAt
        if (at > 0) { lines.push(line.slice(0, at).trimEnd()); line = line.slice(at).trimStart() } else { lines.push(line); line = '' }
        breakAt = 0
        if (ch === ' ' && line === '') continue
      }
      if (cjk) breakAt = line.length
      line += ch
      if (ch === ' ' || cjk) breakAt = line.length
    }
    lines.push(line)
  }
  const lineHeight = size * LINE_HEIGHT
  return { lines, width: Math.max(0, ...lines.map(measure)), height: lines.length * lineHeight, lineHeight }
}

const layouts = new WeakMap<Shape, TextLayout>()

/** The cached lines of a text shape or sticky note (wrapped inside the note). */
export function shapeText(shape: Shape): TextLayout {
  let layout = layouts.get(shape)
  if (layout === undefined) {
    const size = shape.size ?? 16
    layout = layoutText(shape.text ?? '', size, shape.type === 'sticky' ? Math.max(size, shape.w - 2 * STICKY_PADDING) : null)
    layouts.set(shape, layout)
  }
  return layout
}
