import type { Point, Rect } from './board-geometry'

/** The board point at the screen's top-left corner, and screen pixels (CSS) per board unit. */
export interface Camera { readonly x: number; readonly y: number; readonly zoom: number }

const MIN_ZOOM = 0.02
const MAX_ZOOM = 8
/** One zoom button press or wheel notch. */
export const ZOOM_STEP = 1.2
const FIT_MARGIN = 48

export const clampZoom = (zoom: number): number => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom))

export function toBoard(c: Camera, sx: number, sy: number): Point {
  return { x: c.x + sx / c.zoom, y: c.y + sy / c.zoom }
}

export function toScreen(c: Camera, bx: number, by: number): Point {
  return { x: (bx - c.x) * c.zoom, y: (by - c.y) * c.zoom }
}

/** The board area a `width` × `height` view shows. */
export function viewRect(c: Camera, width: number, height: number): Rect {
  return { x: c.x, y: c.y, w: width / c.zoom, h: height / c.zoom }
}

/** Zooms by `factor`, keeping the board point under the screen point (sx, sy) in place. */
export function zoomAt(c: Camera, factor: number, sx: number, sy: number): Camera {
  const zoom = clampZoom(c.zoom * factor)
  const anchor = toBoard(c, sx, sy)
  return { x: anchor.x - sx / zoom, y: anchor.y - sy / zoom, zoom }
}

export function panBy(c: Camera, dxScreen: number, dyScreen: number): Camera {
  return { x: c.x - dxScreen / c.zoom, y: c.y - dyScreen / c.zoom, zoom: c.zoom }
}

/** A camera showing all of `content` centred, never zoomed in beyond 100 %. */
export function fitCamera(content: Rect | null, width: number, height: number): Camera {
  if (content === null || width <= 0 || height <= 0) return { x: -width / 2, y: -height / 2, zoom: 1 }
  const zoom = clampZoom(Math.min(1, (width - 2 * FIT_MARGIN) / Math.max(1, content.w), (height - 2 * FIT_MARGIN) / Math.max(1, content.h)))
  return { x: content.x + content.w / 2 - width / 2 / zoom, y: content.y + content.h / 2 - height / 2 / zoom, zoom }
}
