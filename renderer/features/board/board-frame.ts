import { toScreen, viewRect, type Camera } from './board-camera'
import { drawDraft, drawShape } from './board-draw'
import { applyToRect, HANDLES, handlePoint, intersects, type Affine, type Handle, type Rect } from './board-geometry'
import type { LayerView, SceneLayer } from './board-layer'
import type { Shape } from './board-model'
import type { BoardScene } from './board-scene'

const SELECTION = '#2f5bd3'
export const HANDLE_PX = 8
/** Space between the selection's box and its frame, screen pixels. */
const SELECTION_PAD = 4
/** Beyond this many, selected shapes are not outlined one by one: the outlines would be noise, and slow. */
const MAX_OUTLINED = 2000

/** What one frame shows besides the stored shapes. */
export interface Frame extends LayerView {
  selection: ReadonlySet<string>
  /** The selection's box, already moved by `preview`; handles are drawn on it. */
  selectionBox: Rect | null
  /** Selected shapes shown moved or resized while they are being dragged (stored on release). */
  preview: { ids: ReadonlySet<string>; m: Affine } | null
  /** A shape being drawn, not yet stored. */
  draft: Shape | null
  marquee: Rect | null
}

/** One frame: the stored shapes from the layer, then what is being dragged or drawn, then selection. */
export function drawFrame(ctx: CanvasRenderingContext2D, layer: SceneLayer, scene: BoardScene, f: Frame): void {
  layer.paint(ctx, scene, f)
  const { camera: c, dpr } = f
  ctx.setTransform(dpr * c.zoom, 0, 0, dpr * c.zoom, -c.x * c.zoom * dpr, -c.y * c.zoom * dpr)
  const preview = f.preview
  if (preview !== null) {
    const view = viewRect(c, f.width, f.height)
    ctx.save()
    ctx.transform(preview.m.sx, 0, 0, preview.m.sy, preview.m.tx, preview.m.ty)
    for (const e of scene.ordered()) {
      if (preview.ids.has(e.id) && intersects(applyToRect(preview.m, e.bounds), view)) drawShape(ctx, e.shape, c.zoom, e.bounds)
    }
    ctx.restore()
  }
  if (f.draft !== null) drawDraft(ctx, f.draft, c.zoom)

  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
  drawSelection(ctx, scene, f)
  if (f.marquee !== null) {
    const a = toScreen(c, f.marquee.x, f.marquee.y)
    ctx.fillStyle = 'rgb(47 91 211 / 0.08)'
    ctx.strokeStyle = SELECTION
    ctx.lineWidth = 1
    ctx.fillRect(a.x, a.y, f.marquee.w * c.zoom, f.marquee.h * c.zoom)
    ctx.strokeRect(a.x + 0.5, a.y + 0.5, f.marquee.w * c.zoom, f.marquee.h * c.zoom)
  }
}

function drawSelection(ctx: CanvasRenderingContext2D, scene: BoardScene, f: Frame): void {
  const { camera: c } = f
  if (f.selection.size === 0 || f.selectionBox === null) return
  ctx.strokeStyle = SELECTION
  ctx.lineWidth = 1
  // Each selected shape is outlined when there are several, so one can tell what is in the group.
  if (f.selection.size > 1 && f.selection.size <= MAX_OUTLINED) {
    ctx.globalAlpha = 0.5
    ctx.beginPath()
    for (const id of f.selection) {
      const e = scene.get(id)
      if (e === undefined) continue
      const box = f.preview === null ? e.shape : applyToRect(f.preview.m, e.shape)
      const a = toScreen(c, box.x, box.y)
      ctx.rect(Math.round(a.x) + 0.5, Math.round(a.y) + 0.5, Math.round(box.w * c.zoom), Math.round(box.h * c.zoom))
    }
    ctx.stroke()
    ctx.globalAlpha = 1
  }
  const box = f.selectionBox
  const a = toScreen(c, box.x, box.y)
  const pad = SELECTION_PAD
  ctx.strokeRect(Math.round(a.x) - pad + 0.5, Math.round(a.y) - pad + 0.5, Math.round(box.w * c.zoom) + 2 * pad, Math.round(box.h * c.zoom) + 2 * pad)
  ctx.fillStyle = '#ffffff'
  for (const h of HANDLES) {
    const p = handleScreenPoint(c, box, h)
    ctx.fillRect(p.x - HANDLE_PX / 2, p.y - HANDLE_PX / 2, HANDLE_PX, HANDLE_PX)
    ctx.strokeRect(p.x - HANDLE_PX / 2 + 0.5, p.y - HANDLE_PX / 2 + 0.5, HANDLE_PX - 1, HANDLE_PX - 1)
  }
}

/** Where a resize handle sits on screen: the selection box's corner, pushed out by the frame's padding. */
export function handleScreenPoint(c: Camera, box: Rect, h: Handle): { x: number; y: number } {
  const p = handlePoint(box, h)
  const s = toScreen(c, p.x, p.y)
  const pad = SELECTION_PAD
  return { x: Math.round(s.x) + (h.endsWith('w') ? -pad : pad), y: Math.round(s.y) + (h.startsWith('n') ? -pad : pad) }
}
