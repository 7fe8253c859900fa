import { drawGrid, drawShape, PAPER } from './board-draw'
import { intersects, union, type Rect } from './board-geometry'
import type { Camera } from './board-camera'
import type { BoardScene } from './board-scene'

/** What the layer needs to know about the view. */
export interface LayerView {
  camera: Camera
  /** CSS pixels. */
  width: number
  height: number
  dpr: number
  /** Shapes drawn elsewhere this frame (being dragged or edited), left out of the layer. */
  exclude: ReadonlySet<string>
}

/**
 * The stored shapes as a bitmap of the view, kept between frames: drawing 10k shapes takes
 * ~90 ms without a GPU, far over a frame. A pan shifts the bitmap and paints only the strips
 * it uncovers; a change repaints only the areas it touched (`markDirty`); a zoom repaints all,
 * except that while the wheel keeps turning an expensive view is shown scaled until it stops.
 */
export interface SceneLayer {
  paint(ctx: CanvasRenderingContext2D, scene: BoardScene, v: LayerView): void
  /** Board areas whose shapes changed. */
  markDirty(rects: readonly Rect[]): void
  destroy(): void
}

/** More dirty areas than this in one frame are cheaper as one full repaint. */
const MAX_DIRTY = 64
/** A full repaint slower than this is deferred while zooming continues. */
const SLOW_PAINT_MS = 12
/** Zooming counts as finished after this long without a change. */
const ZOOM_SETTLE_MS = 160

export function createSceneLayer(requestFrame: () => void): SceneLayer {
  let front = document.createElement('canvas')
  let back = document.createElement('canvas')
  let cam: Camera | null = null
  let dpr = 1
  let exclude: ReadonlySet<string> = new Set()
  let dirty: Rect[] = []
  let lastFullMs = 0
  let seenZoom = 0
  let zoomChangedAt = 0
  let settleTimer: ReturnType<typeof setTimeout> | null = null

  /** Repaints a device-pixel area of the bitmap from the scene, as seen by `cam`. */
  const repaint = (scene: BoardScene, c: Camera, px: number, py: number, pw: number, ph: number): void => {
    const ctx = front.getContext('2d', { alpha: false })
    if (ctx === null || pw <= 0 || ph <= 0) return
    ctx.save()
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    // A clip slows every draw; the whole bitmap needs none.
    if (px !== 0 || py !== 0 || pw !== front.width || ph !== front.height) {
      ctx.beginPath()
      ctx.rect(px, py, pw, ph)
      ctx.clip()
    }
    const css = { x: px / dpr, y: py / dpr, w: pw / dpr, h: ph / dpr }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.fillStyle = PAPER
    ctx.fillRect(css.x, css.y, css.w, css.h)
    drawGrid(ctx, c, css)
    ctx.setTransform(dpr * c.zoom, 0, 0, dpr * c.zoom, -c.x * c.zoom * dpr, -c.y * c.zoom * dpr)
    const area = { x: c.x + css.x / c.zoom, y: c.y + css.y / c.zoom, w: css.w / c.zoom, h: css.h / c.zoom }
    for (const e of scene.ordered()) {
      if (intersects(e.bounds, area) && !exclude.has(e.id)) drawShape(ctx, e.shape, c.zoom, e.bounds)
    }
    ctx.restore()
  }

  /** Repaints a board area, rounded out to whole device pixels. */
  const repaintBoard = (scene: BoardScene, c: Camera, r: Rect): void => {
    const s = c.zoom * dpr
    const x0 = Math.max(0, Math.floor((r.x - c.x) * s) - 1), y0 = Math.max(0, Math.floor((r.y - c.y) * s) - 1)
    const x1 = Math.min(front.width, Math.ceil((r.x + r.w - c.x) * s) + 1), y1 = Math.min(front.height, Math.ceil((r.y + r.h - c.y) * s) + 1)
    repaint(scene, c, x0, y0, x1 - x0, y1 - y0)
  }

  const paintStale = (ctx: CanvasRenderingContext2D, c: Camera, v: LayerView): void => {
    if (cam === null) return
    const k = c.zoom / cam.zoom
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    ctx.fillStyle = PAPER
    ctx.fillRect(0, 0, front.width, front.height)
    ctx.drawImage(front, (cam.x - c.x) * c.zoom * v.dpr, (cam.y - c.y) * c.zoom * v.dpr, front.width * k, front.height * k)
    if (settleTimer === null) settleTimer = setTimeout(() => { settleTimer = null; requestFrame() }, ZOOM_SETTLE_MS)
  }

  return {
    markDirty: (rects) => { for (const r of rects) dirty.push(r) },
    destroy: () => { if (settleTimer !== null) clearTimeout(settleTimer) },
    paint: (ctx, scene, v) => {
      const c = v.camera
      const pw = Math.max(1, Math.round(v.width * v.dpr)), ph = Math.max(1, Math.round(v.height * v.dpr))
      const now = performance.now()
      if (c.zoom !== seenZoom) { seenZoom = c.zoom; zoomChangedAt = now }
      let full = cam === null || front.width !== pw || front.height !== ph || v.dpr !== dpr || cam.zoom !== c.zoom
      if (full && cam !== null && cam.zoom !== c.zoom && front.width === pw && lastFullMs > SLOW_PAINT_MS && now - zoomChangedAt < ZOOM_SETTLE_MS) {
        paintStale(ctx, c, v)
        return
      }
      if (v.exclude !== exclude) {
        // Shapes that left or joined the excluded set are repainted where they are.
        for (const id of new Set([...exclude, ...v.exclude])) {
          const bounds = scene.get(id)?.bounds
          if (bounds !== undefined && exclude.has(id) !== v.exclude.has(id)) dirty.push(bounds)
        }
        exclude = v.exclude
      }
      if (!full && cam !== null) {
        // Shift by whole device pixels; the view is then off by less than half a pixel, unseen.
        const dx = Math.round((cam.x - c.x) * c.zoom * dpr), dy = Math.round((cam.y - c.y) * c.zoom * dpr)
        if (Math.abs(dx) >= pw || Math.abs(dy) >= ph || dirty.length > MAX_DIRTY) full = true
        else if (dx !== 0 || dy !== 0) {
          const shifted: Camera = { x: cam.x - dx / (c.zoom * dpr), y: cam.y - dy / (c.zoom * dpr), zoom: c.zoom }
          const bctx = back.getContext('2d', { alpha: false })
          if (bctx === null) return
          bctx.setTransform(1, 0, 0, 1, 0, 0)
          bctx.drawImage(front, dx, dy);
          [front, back] = [back, front]
          cam = shifted
          if (dx > 0) repaint(scene, cam, 0, 0, dx, ph)
          if (dx < 0) repaint(scene, cam, pw + dx, 0, -dx, ph)
          if (dy > 0) repaint(scene, cam, 0, 0, pw, dy)
          if (dy < 0) repaint(scene, cam, 0, ph + dy, pw, -dy)
        }
      }
      if (full) {
        for (const canvas of [front, back]) if (canvas.width !== pw || canvas.height !== ph) { canvas.width = pw; canvas.height = ph }
        dpr = v.dpr
        cam = c
        const started = performance.now()
        repaint(scene, c, 0, 0, pw, ph)
        lastFullMs = performance.now() - started
      } else if (cam !== null && dirty.length > 0) {
        // Each area is a pass over the scene: many are painted as the one box around them all.
        const merged = dirty.length > 8 ? [union(dirty)] : dirty
        for (const r of merged) if (r !== null) repaintBoard(scene, cam, r)
      }
      dirty = []
      ctx.setTransform(1, 0, 0, 1, 0, 0)
      ctx.drawImage(front, 0, 0)
    }
  }
}
