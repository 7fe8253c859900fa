import { inflate, rectFrom, type Affine, type Rect } from './board-geometry'

/**
 * The whiteboard's data in its Y.Doc: `doc.getMap('shapes')` maps a shape id to one plain
 * object (a `Shape`). Each shape is a single map entry, not a Y.Map of its own, so a board of
 * 100k shapes stays light; an edit replaces the whole value (last writer wins per shape).
 * Points are flat `[x0, y0, x1, y1, …]`, relative to (x, y), rounded to 0.1 board units, and
 * stored as integers in tenths (`storedShape`): Yjs writes an integer in 1–3 bytes and a
 * fraction in 9, so a board of pen strokes is about 3× smaller on disk, on the wire and in memory.
 */
export const SHAPES_KEY = 'shapes'

export const SHAPE_KINDS = ['pen', 'rect', 'ellipse', 'line', 'arrow', 'text', 'sticky'] as const
export type ShapeKind = (typeof SHAPE_KINDS)[number]

export interface Shape {
  readonly type: ShapeKind
  /** Top-left of the shape's box, board units. */
  readonly x: number
  readonly y: number
  /** Size of the box (the points' extent for pen, line and arrow), ≥ 0. */
  readonly w: number
  readonly h: number
  /** pen, line, arrow: the path, flat and relative to (x, y). */
  readonly points?: readonly number[]
  /** `#rrggbb`. */
  readonly color: string
  /** Stroke width, board units. */
  readonly width: number
  /** text, sticky. */
  readonly text?: string
  /** Font size of text and sticky notes, board units. */
  readonly size?: number
  /** Stacking order: higher draws on top; ties break by id. */
  readonly z: number
  /** Display name of who drew it (informational; anyone in the doc may edit any shape). */
  readonly author: string
}

/** Limits on what a peer may put in a shape; a value outside them is ignored, not drawn. */
const MAX_POINTS = 40_000
const MAX_TEXT = 10_000
const MAX_COORD = 1e7
const MAX_AUTHOR = 200

export const PALETTE = ['#1e1e1e', '#e03131', '#f08c00', '#f5b800', '#2f9e44', '#1971c2', '#7048e8', '#868e96'] as const
export type PaletteColor = (typeof PALETTE)[number]
export const COLOR_NAMES: Record<PaletteColor, 'ink' | 'red' | 'orange' | 'yellow' | 'green' | 'blue' | 'violet' | 'grey'> = {
  '#1e1e1e': 'ink', '#e03131': 'red', '#f08c00': 'orange', '#f5b800': 'yellow',
  '#2f9e44': 'green', '#1971c2': 'blue', '#7048e8': 'violet', '#868e96': 'grey'
}
export const WIDTHS = [2, 4, 8] as const
export const WIDTH_NAMES: Record<(typeof WIDTHS)[number], 'thin' | 'medium' | 'thick'> = { 2: 'thin', 4: 'medium', 8: 'thick' }
export const STICKY_COLOR: PaletteColor = '#f5b800'
export const STICKY_SIZE = 200
export const STICKY_FONT = 18
export const STICKY_PADDING = 12
export const LINE_HEIGHT = 1.3
export const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"

/** Text grows with the chosen stroke width, so one control sizes both. */
export function fontSizeFor(width: number): number {
  return 12 + width * 4
}

export const round1 = (v: number): number => Math.round(v * 10) / 10

/** A random id: 12 base-36 characters (62 bits), short because 100k of them are stored. */
export function newShapeId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('')
}

const finite = (v: unknown, max = MAX_COORD): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= max

/** The value as a shape, or null when it is not one this version can draw safely. */
export function readShape(value: unknown): Shape | null {
  if (typeof value !== 'object' || value === null) return null
  const s = value as Record<string, unknown>
  if (!(SHAPE_KINDS as readonly unknown[]).includes(s.type)) return null
  if (!finite(s.x) || !finite(s.y) || !finite(s.w) || !finite(s.h) || !finite(s.z, Number.MAX_VALUE) || s.w < 0 || s.h < 0) return null
  if (!finite(s.width, 200) || s.width <= 0) return null
  if (typeof s.color !== 'string' || !/^#[0-9a-f]{6}$/i.test(s.color)) return null
  if (typeof s.author !== 'string' || s.author.length > MAX_AUTHOR) return null
  const kind = s.type as ShapeKind
  if (kind === 'pen' || kind === 'line' || kind === 'arrow') {
    const points = s.points
    if (!Array.isArray(points) || points.length < 2 || points.length % 2 !== 0 || points.length > MAX_POINTS) return null
    if (!points.every((p) => finite(p, MAX_COORD * 10))) return null
  }
  if (kind === 'text' || kind === 'sticky') {
    if (typeof s.text !== 'string' || s.text.length > MAX_TEXT) return null
    if (!finite(s.size, 2000) || s.size <= 0) return null
  }
  if (Array.isArray(s.points)) return { ...(value as Shape), points: (s.points as number[]).map((p) => p / 10) }
  return value as Shape
}

/** The value a shape is stored as: points in integer tenths (see the top of this file). */
export function storedShape(shape: Shape): Shape {
  return shape.points === undefined ? shape : { ...shape, points: shape.points.map((p) => Math.round(p * 10)) }
}

/** The area a shape paints: its box grown by half the stroke (and the arrow head). */
export function shapeBounds(shape: Shape): Rect {
  const box = { x: shape.x, y: shape.y, w: shape.w, h: shape.h }
  if (shape.type === 'text' || shape.type === 'sticky') return box
  return inflate(box, shape.type === 'arrow' ? arrowHeadLength(shape.width) : shape.width)
}

export function arrowHeadLength(width: number): number {
  return Math.max(12, width * 4)
}

/** The box of absolute points, and the points relative to its top-left, rounded. */
export function normalizePoints(absolute: readonly number[]): { box: Rect; points: number[] } {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity
  for (let i = 0; i + 1 < absolute.length; i += 2) {
    const x = absolute[i] ?? 0, y = absolute[i + 1] ?? 0
    minX = Math.min(minX, x); maxX = Math.max(maxX, x)
    minY = Math.min(minY, y); maxY = Math.max(maxY, y)
  }
  const x = round1(minX), y = round1(minY)
  const points = absolute.map((v, i) => round1(v - (i % 2 === 0 ? x : y)))
  return { box: { x, y, w: round1(maxX - x), h: round1(maxY - y) }, points }
}

/**
 * The shape after the affine map `m` (a move is a pure translation). Paths scale with their
 * box; text scales its font with the height so it keeps its line breaks; the stroke stays.
 */
export function transformShape(shape: Shape, m: Affine): Shape {
  if (shape.points !== undefined) {
    const absolute = shape.points.map((v, i) => i % 2 === 0 ? (shape.x + v) * m.sx + m.tx : (shape.y + v) * m.sy + m.ty)
    const { box, points } = normalizePoints(absolute)
    return { ...shape, ...box, points }
  }
  const box = rectFrom({ x: shape.x * m.sx + m.tx, y: shape.y * m.sy + m.ty }, { x: (shape.x + shape.w) * m.sx + m.tx, y: (shape.y + shape.h) * m.sy + m.ty })
  if (shape.type === 'text' && shape.size !== undefined) {
    const scale = Math.max(0.05, Math.abs(m.sy))
    return { ...shape, x: round1(box.x), y: round1(box.y), w: round1(shape.w * scale), h: round1(shape.h * scale), size: round1(Math.max(4, shape.size * scale)) }
  }
  return { ...shape, x: round1(box.x), y: round1(box.y), w: round1(Math.max(1, box.w)), h: round1(Math.max(1, box.h)) }
}

/** The pale fill of a sticky note in its colour: 30 % of the colour over white. */
export function stickyFill(color: string): string {
  const n = Number.parseInt(color.slice(1), 16)
  const mix = (c: number): string => Math.round(255 - (255 - c) * 0.3).toString(16).padStart(2, '0')
  return `#${mix((n >> 16) & 255)}${mix((n >> 8) & 255)}${mix(n & 255)}`
}
