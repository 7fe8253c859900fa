import { containsPoint, distanceToPolyline, type Point, type Rect } from './board-geometry'
import { readShape, shapeBounds, type Shape } from './board-model'
import type * as Y from 'yjs'

/** One drawable shape. The entry object lives as long as its id; `shape` and `bounds` change with the value. */
export interface SceneEntry {
  readonly id: string
  shape: Shape
  /** Painted area, computed once per value. */
  bounds: Rect
}

/**
 * A read model of the board's shapes for drawing and hit-testing: entries in stacking order
 * with their bounds, kept current from the Y.Map's change events (only the keys that changed
 * are re-read). Values that are not valid shapes are left out.
 */
export interface BoardScene {
  readonly size: number
  get(id: string): SceneEntry | undefined
  /** Every entry, bottom to top. */
  ordered(): readonly SceneEntry[]
  /** The topmost entry under `p`, with `tolerance` board units of slack for thin strokes. */
  hit(p: Point, tolerance: number): SceneEntry | null
  /** Highest stacking order in use (new shapes go above it). */
  topZ(): number
  /** Called after each change with the ids that changed and the board areas they painted before and after. */
  onChange(listener: (ids: ReadonlySet<string>, areas: readonly Rect[]) => void): () => void
  destroy(): void
}

const byStacking = (a: SceneEntry, b: SceneEntry): number => a.shape.z - b.shape.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export function createBoardScene(shapes: Y.Map<unknown>): BoardScene {
  const entries = new Map<string, SceneEntry>()
  let order: SceneEntry[] = []
  // Sorting 100k entries on every remote stroke would stutter: a shape added on top is appended,
  // removals are filtered out lazily, and only a change of stacking order re-sorts.
  let needsSort = false
  let removed = false
  const listeners = new Set<(ids: ReadonlySet<string>, areas: readonly Rect[]) => void>()

  /** Re-reads one key; the areas it painted before and paints now go to `areas`. */
  const put = (id: string, value: unknown, areas: Rect[]): void => {
    const shape = readShape(value)
    const entry = entries.get(id)
    if (entry !== undefined) areas.push(entry.bounds)
    if (shape === null) {
      if (entry !== undefined) { entries.delete(id); removed = true }
      return
    }
    if (entry !== undefined) {
      if (entry.shape.z !== shape.z) needsSort = true
      entry.shape = shape
      entry.bounds = shapeBounds(shape)
      areas.push(entry.bounds)
      return
    }
    const added: SceneEntry = { id, shape, bounds: shapeBounds(shape) }
    areas.push(added.bounds)
    entries.set(id, added)
    const last = order[order.length - 1]
    if (last !== undefined && byStacking(last, added) > 0) needsSort = true
    order.push(added)
  }

  shapes.forEach((value, id) => { put(id, value, []) })
  order.sort(byStacking)
  needsSort = false

  const observer = (event: Y.YMapEvent<unknown>): void => {
    const ids = event.keysChanged as Set<string>
    const areas: Rect[] = []
    for (const id of ids) put(id, shapes.get(id), areas)
    for (const l of listeners) l(ids, areas)
  }
  shapes.observe(observer)

  const ordered = (): readonly SceneEntry[] => {
    if (removed) { order = order.filter((e) => entries.get(e.id) === e); removed = false }
    if (needsSort) { order.sort(byStacking); needsSort = false }
    return order
  }

  return {
    get size () { return entries.size },
    get: (id) => entries.get(id),
    ordered,
    hit: (p, tolerance) => {
      const all = ordered()
      for (let i = all.length - 1; i >= 0; i--) {
        const e = all[i]
        if (e === undefined || !containsPoint(e.bounds, p, tolerance)) continue
        if (hitsShape(e.shape, p, tolerance)) return e
      }
      return null
    },
    topZ: () => ordered().at(-1)?.shape.z ?? 0,
    onChange: (listener) => { listeners.add(listener); return () => { listeners.delete(listener) } },
    destroy: () => { shapes.unobserve(observer); listeners.clear() }
  }
}

/** Whether `p` touches the shape: the stroke of outlines and paths, anywhere on notes and text. */
function hitsShape(s: Shape, p: Point, tolerance: number): boolean {
  const slack = tolerance + s.width / 2
  switch (s.type) {
    case 'text':
    case 'sticky':
      return containsPoint({ x: s.x, y: s.y, w: s.w, h: s.h }, p, tolerance)
    case 'rect': {
      const inside = containsPoint({ x: s.x, y: s.y, w: s.w, h: s.h }, p, slack)
      const deepInside = containsPoint({ x: s.x + slack, y: s.y + slack, w: s.w - 2 * slack, h: s.h - 2 * slack }, p)
      return inside && !deepInside
    }
    case 'ellipse': {
      const rx = s.w / 2, ry = s.h / 2
      if (rx === 0 || ry === 0) return containsPoint({ x: s.x, y: s.y, w: s.w, h: s.h }, p, slack)
      const d = Math.hypot((p.x - s.x - rx) / rx, (p.y - s.y - ry) / ry)
      return Math.abs(d - 1) * Math.min(rx, ry) <= slack
    }
    case 'pen':
    case 'line':
    case 'arrow':
      return distanceToPolyline(p, s.points ?? [], s.x, s.y) <= slack + (s.type === 'pen' ? s.width / 2 : 0)
  }
}
