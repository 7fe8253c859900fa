/** Redraws a canvas on demand: at most once per animation frame, and only after `invalidate`. */
export interface CanvasLoop {
  /** A plain function, not a method: the owner hands it on to the editor. */
  readonly invalidate: () => void
  destroy(): void
}

/**
 * Keeps the canvas's backing store at its CSS size × devicePixelRatio (checked each frame, so
 * moving the window to another screen stays sharp) and calls `draw` when something changed.
 */
export function createCanvasLoop(
  canvas: HTMLCanvasElement,
  onResize: (width: number, height: number) => void,
  draw: (ctx: CanvasRenderingContext2D, dpr: number) => void
): CanvasLoop {
  const ctx = canvas.getContext('2d', { alpha: false })
  let frame = 0
  let cssWidth = 0
  let cssHeight = 0

  const fitBackingStore = (): number => {
    const dpr = window.devicePixelRatio || 1
    const width = Math.max(1, Math.round(cssWidth * dpr)), height = Math.max(1, Math.round(cssHeight * dpr))
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width
      canvas.height = height
    }
    return dpr
  }
  const render = (): void => {
    frame = 0
    if (ctx === null || cssWidth === 0 || cssHeight === 0) return
    draw(ctx, fitBackingStore())
  }
  const invalidate = (): void => {
    if (frame === 0) frame = requestAnimationFrame(render)
  }
  const observer = new ResizeObserver((entries) => {
    const box = entries[entries.length - 1]?.contentRect
    if (box === undefined) return
    cssWidth = box.width
    cssHeight = box.height
    onResize(cssWidth, cssHeight)
    invalidate()
  })
  observer.observe(canvas)

  return {
    invalidate,
    destroy: () => {
      observer.disconnect()
      if (frame !== 0) cancelAnimationFrame(frame)
    }
  }
}
