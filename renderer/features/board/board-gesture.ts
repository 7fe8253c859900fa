import { anchorOf, boxTransform, contains, rectFrom, translation, type Affine, type Handle, type Point, type Rect } from './board-geometry'
import { normalizePoints, round1, type Shape } from './board-model'
import type { SceneEntry } from './board-scene'

/** A drag in progress on the board. Nothing is stored until it ends: one drag, one update. */
export type Gesture =
  | { kind: 'pan'; last: Point }
  /** Absolute board points; the array grows in place as the pen moves. */
  | { kind: 'pen'; points: number[] }
  | { kind: 'shape'; type: 'rect' | 'ellipse' | 'line' | 'arrow'; start: Point; end: Point; square: boolean }
  /** `toggle`: a shift-click on a selected shape that deselects it unless it turns into a drag. */
  | { kind: 'move'; start: Point; ids: ReadonlySet<string>; m: Affine; toggle: string | null }
  | { kind: 'resize'; box: Rect; handle: Handle; ids: ReadonlySet<string>; m: Affine }
  | { kind: 'marquee'; start: Point; rect: Rect; base: ReadonlySet<string> }

/** Moves shorter than this many screen pixels are clicks, not drags. */
export const CLICK_SLOP_PX = 3

/** The gesture after the pointer moved to board point `p`. */
export function dragTo(g: Gesture, p: Point, shift: boolean, zoom: number): Gesture {
  switch (g.kind) {
    case 'pan':
      return g
    case 'pen': {
      const lx = g.points[g.points.length - 2] ?? p.x, ly = g.points[g.points.length - 1] ?? p.y
      // Points closer than half a screen pixel add weight to the update and nothing to the line.
      if (Math.hypot(p.x - lx, p.y - ly) * zoom >= 0.5) g.points.push(round1(p.x), round1(p.y))
      return g
    }
    case 'shape':
      return { ...g, end: p, square: shift }
    case 'move': {
      const dx = p.x - g.start.x, dy = p.y - g.start.y
      return { ...g, m: translation(dx, dy) }
    }
    case 'resize':
      return { ...g, m: boxTransform(g.box, anchorOf(g.box, g.handle), p, shift) }
    case 'marquee':
      return { ...g, rect: rectFrom(g.start, p) }
  }
}

/** The shape a `shape` gesture describes: shift keeps boxes square and lines at 45° steps. */
export function draftShape(g: Extract<Gesture, { kind: 'shape' }>, style: Pick<Shape, 'color' | 'width' | 'z' | 'author'>): Shape {
  let end = g.end
  if (g.type === 'line' || g.type === 'arrow') {
    if (g.square) {
      const angle = Math.round(Math.atan2(end.y - g.start.y, end.x - g.start.x) / (Math.PI / 4)) * (Math.PI / 4)
      const length = Math.hypot(end.x - g.start.x, end.y - g.start.y)
      end = { x: g.start.x + length * Math.cos(angle), y: g.start.y + length * Math.sin(angle) }
    }
    const { box, points } = normalizePoints([g.start.x, g.start.y, end.x, end.y])
    return { type: g.type, ...box, points, ...style }
  }
  if (g.square) {
    const side = Math.max(Math.abs(end.x - g.start.x), Math.abs(end.y - g.start.y))
    end = { x: g.start.x + Math.sign(end.x - g.start.x || 1) * side, y: g.start.y + Math.sign(end.y - g.start.y || 1) * side }
  }
  const box = rectFrom(g.start, end)
  return { type: g.type, x: round1(box.x), y: round1(box.y), w: round1(box.w), h: round1(box.h), ...style }
}

/** The pen stroke as a shape: points relative to their box. A click makes a dot. */
export function penShape(points: readonly number[], style: Pick<Shape, 'color' | 'width' | 'z' | 'author'>): Shape {
  const all = points.length === 2 ? [...points, ...points] : points
  const { box, points: relative } = normalizePoints(all)
  return { type: 'pen', ...box, points: relative, ...style }
}

/** The selection a marquee makes: what it started with, plus every shape wholly inside it. */
export function marqueeSelection(g: Extract<Gesture, { kind: 'marquee' }>, entries: readonly SceneEntry[]): Set<string> {
  const next = new Set(g.base)
  for (const e of entries) if (contains(g.rect, e.shape)) next.add(e.id)
  return next
}
