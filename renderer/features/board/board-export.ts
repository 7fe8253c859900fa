import { NOTE_INK, PAPER, drawShape } from './board-draw'
import { inflate, union, type Rect } from './board-geometry'
import { arrowHead, penOutline, shapeText, traceOutline, type PathSink } from './board-paths'
import { FONT_FAMILY, STICKY_PADDING, stickyFill, type Shape } from './board-model'
import type { SceneEntry } from './board-scene'

const MARGIN = 24
/** Canvas limits: Chromium refuses sides beyond 32767 px and gets slow far earlier. */
const MAX_SIDE_PX = 8192
const MAX_AREA_PX = 32_000_000

function contentBox(entries: readonly SceneEntry[]): Rect {
  return inflate(union(entries.map((e) => e.bounds)) ?? { x: 0, y: 0, w: 320, h: 200 }, MARGIN)
}

/** The whole board as a PNG at up to 2× scale, on the board's paper colour. */
export function boardToPng(entries: readonly SceneEntry[]): Promise<Blob> {
  const box = contentBox(entries)
  const scale = Math.min(2, MAX_SIDE_PX / Math.max(box.w, box.h), Math.sqrt(MAX_AREA_PX / (box.w * box.h)))
  const canvas = document.createElement('canvas')
  canvas.width = Math.max(1, Math.round(box.w * scale))
  canvas.height = Math.max(1, Math.round(box.h * scale))
  const ctx = canvas.getContext('2d')
  if (ctx === null) return Promise.reject(new Error('no 2D canvas'))
  ctx.fillStyle = PAPER
  ctx.fillRect(0, 0, canvas.width, canvas.height)
  ctx.setTransform(scale, 0, 0, scale, -box.x * scale, -box.y * scale)
  for (const e of entries) drawShape(ctx, e.shape, scale, e.bounds)
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => { if (blob === null) reject(new Error('the image could not be encoded')); else resolve(blob) }, 'image/png')
  })
}

const num = (v: number): string => String(Math.round(v * 100) / 100)
const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

class SvgPath implements PathSink {
  d = ''
  moveTo(x: number, y: number): void { this.d += `M${num(x)} ${num(y)}` }
  lineTo(x: number, y: number): void { this.d += `L${num(x)} ${num(y)}` }
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void { this.d += `Q${num(cx)} ${num(cy)} ${num(x)} ${num(y)}` }
  closePath(): void { this.d += 'Z' }
}

function textSvg(s: Shape, color: string, inset: number, bottom: number): string {
  const layout = shapeText(s)
  const size = s.size ?? 16
  const lines = layout.lines.filter((_, i) => inset + (i + 1) * layout.lineHeight <= bottom)
  const spans = lines.map((line, i) => `<tspan x="${num(inset)}" y="${num(inset + (layout.lineHeight - size) / 2 + i * layout.lineHeight)}">${escapeXml(line)}</tspan>`)
  return `<text font-family="${escapeXml(FONT_FAMILY)}" font-size="${num(size)}" fill="${color}" dominant-baseline="text-before-edge" xml:space="preserve">${spans.join('')}</text>`
}

function shapeSvg(s: Shape): string {
  const stroke = `fill="none" stroke="${s.color}" stroke-width="${num(s.width)}" stroke-linecap="round" stroke-linejoin="round"`
  const points = s.points ?? []
  let body: string
  switch (s.type) {
    case 'pen': {
      const path = new SvgPath()
      traceOutline(path, penOutline(points, s.width))
      body = `<path d="${path.d}" fill="${s.color}"/>`
      break
    }
    case 'rect':
      body = `<rect width="${num(s.w)}" height="${num(s.h)}" ${stroke}/>`
      break
    case 'ellipse':
      body = `<ellipse cx="${num(s.w / 2)}" cy="${num(s.h / 2)}" rx="${num(s.w / 2)}" ry="${num(s.h / 2)}" ${stroke}/>`
      break
    case 'line':
    case 'arrow': {
      const path = new SvgPath()
      path.moveTo(points[0] ?? 0, points[1] ?? 0)
      for (let i = 2; i + 1 < points.length; i += 2) path.lineTo(points[i] ?? 0, points[i + 1] ?? 0)
      const n = points.length
      if (s.type === 'arrow' && n >= 4) {
        const [ax, ay, bx, by] = arrowHead(points[n - 4] ?? 0, points[n - 3] ?? 0, points[n - 2] ?? 0, points[n - 1] ?? 0, s.width)
        path.moveTo(ax, ay)
        path.lineTo(points[n - 2] ?? 0, points[n - 1] ?? 0)
        path.lineTo(bx, by)
      }
      body = `<path d="${path.d}" ${stroke}/>`
      break
    }
    case 'text':
      body = textSvg(s, s.color, 0, Infinity)
      break
    case 'sticky':
      body = `<rect width="${num(s.w)}" height="${num(s.h)}" fill="${stickyFill(s.color)}" stroke="${s.color}" stroke-width="1"/>${textSvg(s, NOTE_INK, STICKY_PADDING, s.h - STICKY_PADDING)}`
      break
  }
  return `<g transform="translate(${num(s.x)} ${num(s.y)})">${body}</g>`
}

/** The whole board as a standalone SVG document, shapes in stacking order. */
export function boardToSvg(entries: readonly SceneEntry[]): string {
  const box = contentBox(entries)
  const view = `${num(box.x)} ${num(box.y)} ${num(box.w)} ${num(box.h)}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${view}" width="${num(box.w)}" height="${num(box.h)}">`,
    `<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.w)}" height="${num(box.h)}" fill="${PAPER}"/>`,
    ...entries.map((e) => shapeSvg(e.shape)),
    '</svg>'
  ].join('\n')
}

/** Saves `blob` through the browser's download (Electron shows its save dialog). */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.click()
  // The download has started by the time the click returns; the URL is only needed for that.
  setTimeout(() => { URL.revokeObjectURL(url) }, 1000)
}

/** A file name from a doc title: no path separators or characters Windows refuses. */
export function fileNameOf(title: string, extension: string): string {
  const base = title.replace(/[\\/:*?"<>|\p{Cc}]/gu, '_').trim().slice(0, 100)
  return `${base === '' ? 'whiteboard' : base}.${extension}`
}
