/** A point on the board or on screen. */
export interface Point { x: number; y: number }
/** An axis-aligned box; `w` and `h` are never negative. */
export interface Rect { x: number; y: number; w: number; h: number }

/** The box spanned by two corners, in any order. */
export function rectFrom(a: Point, b: Point): Rect {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) }
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h
}

/** Whether `inner` lies wholly inside `outer`. */
export function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h
}

export function containsPoint(r: Rect, p: Point, margin = 0): boolean {
  return p.x >= r.x - margin && p.x <= r.x + r.w + margin && p.y >= r.y - margin && p.y <= r.y + r.h + margin
}

export function union(rects: Iterable<Rect>): Rect | null {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity
  for (const r of rects) {
    minX = Math.min(minX, r.x)
    minY = Math.min(minY, r.y)
    maxX = Math.max(maxX, r.x + r.w)
    maxY = Math.max(maxY, r.y + r.h)
  }
  return minX === Infinity ? null : { x: minX, y: minY, w: maxX - minX, h: maxY - minY }
}

export function inflate(r: Rect, by: number): Rect {
  return { x: r.x - by, y: r.y - by, w: r.w + 2 * by, h: r.h + 2 * by }
}

function distanceToSegment(p: Point, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay
  const lengthSq = dx * dx + dy * dy
  const t = lengthSq === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - ax) * dx + (p.y - ay) * dy) / lengthSq))
  return Math.hypot(p.x - (ax + t * dx), p.y - (ay + t * dy))
}

/** Distance from `p` to a polyline given as flat `[x0, y0, x1, y1, …]` offset by (ox, oy). */
export function distanceToPolyline(p: Point, points: readonly number[], ox: number, oy: number): number {
  if (points.length < 2) return Infinity
  if (points.length < 4) return Math.hypot(p.x - ox - (points[0] ?? 0), p.y - oy - (points[1] ?? 0))
  let best = Infinity
  for (let i = 2; i + 1 < points.length; i += 2) {
    const d = distanceToSegment(p, ox + (points[i - 2] ?? 0), oy + (points[i - 1] ?? 0), ox + (points[i] ?? 0), oy + (points[i + 1] ?? 0))
    if (d < best) best = d
  }
  return best
}

/** Resize handles at the corners of a selection box, named by compass direction. */
export type Handle = 'nw' | 'ne' | 'sw' | 'se'
export const HANDLES: readonly Handle[] = ['nw', 'ne', 'sw', 'se']

export function handlePoint(box: Rect, handle: Handle): Point {
  return { x: handle.endsWith('w') ? box.x : box.x + box.w, y: handle.startsWith('n') ? box.y : box.y + box.h }
}

/** The corner that stays put while `handle` is dragged. */
export function anchorOf(box: Rect, handle: Handle): Point {
  return { x: handle.endsWith('w') ? box.x + box.w : box.x, y: handle.startsWith('n') ? box.y + box.h : box.y }
}

/**
 * How the box `from` maps onto the box spanned by `anchor` and the dragged corner `to`: scale
 * (negative when flipped past the anchor) and translation, applied as `p' = p * s + t`. A side
 * of zero length (a horizontal line) keeps its scale at 1.
 */
export interface Affine { sx: number; sy: number; tx: number; ty: number }

export function boxTransform(from: Rect, anchor: Point, to: Point, keepAspect: boolean): Affine {
  const fromCorner = { x: anchor.x === from.x ? from.x + from.w : from.x, y: anchor.y === from.y ? from.y + from.h : from.y }
  let sx = from.w === 0 ? 1 : (to.x - anchor.x) / (fromCorner.x - anchor.x)
  let sy = from.h === 0 ? 1 : (to.y - anchor.y) / (fromCorner.y - anchor.y)
  if (keepAspect && from.w !== 0 && from.h !== 0) {
    const s = Math.max(Math.abs(sx), Math.abs(sy))
    sx = Math.sign(sx || 1) * s
    sy = Math.sign(sy || 1) * s
  }
  return { sx, sy, tx: anchor.x - anchor.x * sx, ty: anchor.y - anchor.y * sy }
}

export const IDENTITY: Affine = { sx: 1, sy: 1, tx: 0, ty: 0 }

export function isIdentity(m: Affine): boolean {
  return m.sx === 1 && m.sy === 1 && m.tx === 0 && m.ty === 0
}

export function translation(dx: number, dy: number): Affine {
  return { sx: 1, sy: 1, tx: dx, ty: dy }
}

export function applyToRect(m: Affine, r: Rect): Rect {
  return rectFrom({ x: r.x * m.sx + m.tx, y: r.y * m.sy + m.ty }, { x: (r.x + r.w) * m.sx + m.tx, y: (r.y + r.h) * m.sy + m.ty })
}
