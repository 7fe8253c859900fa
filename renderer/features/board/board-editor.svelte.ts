/* eslint-disable svelte/prefer-svelte-reactivity -- The rule flags every Set built inside an
   exported class of a .svelte.ts. Here each is either a new ReadonlySet swapped into
   `$state.raw` (the selection), a private cache, or Yjs's own set of tracked origins: none is
   state changed in place. */
import * as Y from 'yjs'
import { clampZoom, fitCamera, panBy, toBoard, ZOOM_STEP, zoomAt, type Camera } from './board-camera'
import { handleScreenPoint, HANDLE_PX, type Frame } from './board-frame'
import { applyToRect, HANDLES, IDENTITY, isIdentity, union, type Handle, type Point, type Rect } from './board-geometry'
import { CLICK_SLOP_PX, draftShape, dragTo, marqueeSelection, penShape, type Gesture } from './board-gesture'
import { fontSizeFor, newShapeId, round1, SHAPES_KEY, storedShape, transformShape, type Shape } from './board-model'
import { BoardPresence } from './board-presence.svelte'
import { createBoardScene, type BoardScene } from './board-scene'
import { newTextShape, withText } from './board-text'
import type { DocSession } from '../docs/doc-session'

export const TOOLS = [
  { tool: 'select', key: 'v' }, { tool: 'hand', key: 'h' }, { tool: 'pen', key: 'p' }, { tool: 'rect', key: 'r' },
  { tool: 'ellipse', key: 'o' }, { tool: 'line', key: 'l' }, { tool: 'arrow', key: 'a' }, { tool: 'text', key: 't' },
  { tool: 'sticky', key: 's' }
] as const
export type Tool = (typeof TOOLS)[number]['tool']

/** A text shape or sticky note open in the text box; `isNew` ones are stored only when committed. */
export interface TextEdit { id: string; shape: Shape; isNew: boolean }

/** Board points within this many screen pixels of a thin stroke still hit it. */
const HIT_PX = 6

/**
 * The whiteboard's editing state over one doc session: tool and style, selection, camera, the
 * drag in progress, text editing, and per-user undo. Every local change is one transaction with
 * this editor's own origin, which is all the undo manager tracks: undo never reverts others' work.
 */
export class BoardEditor {
  tool = $state<Tool>('select')
  color = $state<string>('#1e1e1e')
  width = $state<number>(4)
  selection = $state.raw<ReadonlySet<string>>(new Set())
  camera = $state.raw<Camera>({ x: 0, y: 0, zoom: 1 })
  /** The canvas's size in CSS pixels; 0 until laid out. */
  size = $state.raw({ width: 0, height: 0 })
  editing = $state.raw<TextEdit | null>(null)
  /** The text box's content while `editing`. */
  editText = $state('')
  shapeCount = $state(0)
  canUndo = $state(false)
  canRedo = $state(false)
  spaceHeld = $state(false)
  /** What the pointer is over or doing, for the CSS cursor. */
  pointer = $state<'idle' | 'panning' | Handle>('idle')

  readonly scene: BoardScene
  readonly presence: BoardPresence
  /** Asks the canvas for a new frame; set by the component that owns the canvas. */
  invalidate: () => void = () => {}
  private readonly doc: Y.Doc
  private readonly shapes: Y.Map<unknown>
  private readonly local = Symbol('local board edit')
  private readonly undoManager: Y.UndoManager
  private gesture: Gesture | null = null
  private downAt: Point = { x: 0, y: 0 }
  private fitted = false
  private readonly stopScene: () => void

  constructor (session: DocSession) {
    this.doc = session.doc
    this.shapes = session.doc.getMap<unknown>(SHAPES_KEY)
    this.scene = createBoardScene(this.shapes)
    this.presence = new BoardPresence(session.awareness)
    this.shapeCount = this.scene.size
    // Every stored change is its own undo step (captureTimeout 0): two quick strokes are two undos.
    this.undoManager = new Y.UndoManager(this.shapes, { trackedOrigins: new Set([this.local]), captureTimeout: 0 })
    const onStack = (): void => { this.canUndo = this.undoManager.canUndo(); this.canRedo = this.undoManager.canRedo() }
    this.undoManager.on('stack-item-added', onStack)
    this.undoManager.on('stack-item-popped', onStack)
    this.undoManager.on('stack-cleared', onStack)
    this.stopScene = this.scene.onChange((ids) => {
      this.shapeCount = this.scene.size
      if ([...ids].some((id) => this.selection.has(id) && this.scene.get(id) === undefined)) {
        this.selection = new Set([...this.selection].filter((id) => this.scene.get(id) !== undefined))
      }
      this.invalidate()
    })
  }

  destroy(): void {
    this.stopScene()
    this.scene.destroy()
    this.presence.destroy()
    this.undoManager.destroy()
  }

  /** The canvas was laid out or resized; the first layout fits the board's content into view. */
  resize(width: number, height: number): void {
    this.size = { width, height }
    if (!this.fitted && width > 0 && height > 0) { this.fitted = true; this.fit() }
    this.invalidate()
  }

  frame(dpr: number): Frame {
    const g = this.gesture
    const preview = g?.kind === 'move' || g?.kind === 'resize' ? { ids: g.ids, m: g.m } : null
    const box = this.selectionBox()
    let draft: Shape | null = null
    if (g?.kind === 'pen') draft = { type: 'pen', x: 0, y: 0, w: 0, h: 0, points: g.points, color: this.color, width: this.width, z: 0, author: '' }
    else if (g?.kind === 'shape') draft = draftShape(g, { color: this.color, width: this.width, z: 0, author: '' })
    return {
      camera: this.camera, width: this.size.width, height: this.size.height, dpr,
      exclude: this.excluded(preview?.ids ?? null, this.editing?.id ?? null),
      selection: this.selection, selectionBox: box !== null && preview !== null ? applyToRect(preview.m, box) : box, preview,
      draft, marquee: g?.kind === 'marquee' ? g.rect : null
    }
  }

  private excludedCache: { moving: ReadonlySet<string> | null; editing: string | null; set: ReadonlySet<string> } = { moving: null, editing: null, set: new Set() }

  /** Shapes the layer leaves out: dragged ones and the one in the text box. The same set object while unchanged, so the layer repaints only on a change. */
  private excluded(moving: ReadonlySet<string> | null, editing: string | null): ReadonlySet<string> {
    const cache = this.excludedCache
    if (cache.moving !== moving || cache.editing !== editing) {
      const set = new Set(moving)
      if (editing !== null) set.add(editing)
      this.excludedCache = { moving, editing, set }
    }
    return this.excludedCache.set
  }

  /** The selected shapes' combined box (the resize handles' frame). */
  selectionBox(): Rect | null {
    const boxes: Rect[] = []
    for (const id of this.selection) { const e = this.scene.get(id); if (e !== undefined) boxes.push(e.shape) }
    return union(boxes)
  }

  // ——— pointer ———

  pointerDown(s: Point, button: number, shift: boolean): void {
    this.commitEdit()
    const p = toBoard(this.camera, s.x, s.y)
    this.downAt = s
    if (button === 1 || this.tool === 'hand' || this.spaceHeld) {
      this.gesture = { kind: 'pan', last: s }
      this.pointer = 'panning'
      return
    }
    if (button !== 0) return
    switch (this.tool) {
      case 'pen':
        this.gesture = { kind: 'pen', points: [round1(p.x), round1(p.y)] }
        break
      case 'rect': case 'ellipse': case 'line': case 'arrow':
        this.gesture = { kind: 'shape', type: this.tool, start: p, end: p, square: shift }
        break
      case 'text': case 'sticky': {
        const hit = this.scene.hit(p, HIT_PX / this.camera.zoom)
        if (hit !== null && (hit.shape.type === 'text' || hit.shape.type === 'sticky')) this.edit(hit.id)
        else this.startNewText(this.tool, p)
        break
      }
      case 'select':
        this.gesture = this.selectGesture(s, p, shift)
        break
    }
    this.invalidate()
  }

  private selectGesture(s: Point, p: Point, shift: boolean): Gesture {
    const box = this.selectionBox()
    if (box !== null && !shift) {
      for (const handle of HANDLES) {
        const h = handleScreenPoint(this.camera, box, handle)
        if (Math.abs(h.x - s.x) <= HANDLE_PX && Math.abs(h.y - s.y) <= HANDLE_PX) return { kind: 'resize', box, handle, ids: this.selection, m: IDENTITY }
      }
    }
    const hit = this.scene.hit(p, HIT_PX / this.camera.zoom)
    if (hit !== null) {
      let toggle: string | null = null
      if (shift && this.selection.has(hit.id)) toggle = hit.id
      else if (shift) this.selection = new Set([...this.selection, hit.id])
      else if (!this.selection.has(hit.id)) this.selection = new Set([hit.id])
      return { kind: 'move', start: p, ids: this.selection, m: IDENTITY, toggle }
    }
    if (box !== null && !shift && p.x >= box.x && p.x <= box.x + box.w && p.y >= box.y && p.y <= box.y + box.h) {
      return { kind: 'move', start: p, ids: this.selection, m: IDENTITY, toggle: null }
    }
    if (!shift) this.selection = new Set()
    return { kind: 'marquee', start: p, rect: { x: p.x, y: p.y, w: 0, h: 0 }, base: this.selection }
  }

  /** Pointer moved to screen points `points` (coalesced events, oldest first). */
  pointerMove(points: readonly Point[], shift: boolean): void {
    const last = points[points.length - 1]
    if (last === undefined) return
    this.presence.publish(toBoard(this.camera, last.x, last.y))
    const g = this.gesture
    if (g === null) { this.pointer = this.handleAt(last) ?? 'idle'; return }
    if (g.kind === 'pan') {
      this.camera = panBy(this.camera, last.x - g.last.x, last.y - g.last.y)
      this.gesture = { kind: 'pan', last }
    } else if (g.kind === 'pen') {
      for (const s of points) dragTo(g, toBoard(this.camera, s.x, s.y), shift, this.camera.zoom)
    } else {
      if (g.kind === 'move' && g.m === IDENTITY && Math.hypot(last.x - this.downAt.x, last.y - this.downAt.y) < CLICK_SLOP_PX) return
      this.gesture = dragTo(g, toBoard(this.camera, last.x, last.y), shift, this.camera.zoom)
      if (this.gesture.kind === 'marquee') this.selection = marqueeSelection(this.gesture, this.scene.ordered())
    }
    this.invalidate()
  }

  pointerLeave(): void {
    this.presence.publish(null)
  }

  /** The drag ended: store what it made, as one transaction. */
  pointerUp(): void {
    const g = this.gesture
    this.gesture = null
    this.pointer = 'idle'
    if (g === null) return
    const style = { color: this.color, width: this.width, z: this.scene.topZ() + 1, author: this.presence.name }
    if (g.kind === 'pen') this.add(penShape(g.points, style))
    else if (g.kind === 'shape') {
      const shape = draftShape(g, style)
      if (Math.max(shape.w, shape.h) * this.camera.zoom >= CLICK_SLOP_PX) this.add(shape)
    } else if (g.kind === 'move' || g.kind === 'resize') {
      const { m } = g
      if (isIdentity(m)) {
        if (g.kind === 'move' && g.toggle !== null) this.selection = new Set([...this.selection].filter((id) => id !== g.toggle))
      } else {
        this.transact(() => {
          for (const id of g.ids) { const e = this.scene.get(id); if (e !== undefined) this.shapes.set(id, storedShape(transformShape(e.shape, m))) }
        })
      }
    }
    this.invalidate()
  }

  cancelGesture(): void {
    if (this.gesture?.kind === 'marquee') this.selection = this.gesture.base
    this.gesture = null
    this.pointer = 'idle'
    this.invalidate()
  }

  /** Double-click: edit the text or note under the pointer, or start a text there. */
  doubleClick(s: Point): void {
    if (this.tool !== 'select') return
    const p = toBoard(this.camera, s.x, s.y)
    const hit = this.scene.hit(p, HIT_PX / this.camera.zoom)
    if (hit !== null && (hit.shape.type === 'text' || hit.shape.type === 'sticky')) this.edit(hit.id)
    else if (hit === null) this.startNewText('text', p)
  }

  /**
   * Wheel zooms at the pointer (a pinch arrives as ctrl+wheel); a sideways scroll, or shift+wheel,
   * pans. Deltas are pixels, lines (×16) or pages.
   */
  wheel(e: { deltaX: number; deltaY: number; deltaMode: number; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }, s: Point): void {
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.size.height : 1
    let dx = e.deltaX * unit, dy = e.deltaY * unit
    if (e.shiftKey && dx === 0) { dx = dy; dy = 0 }
    if (!e.ctrlKey && !e.metaKey && dx !== 0) this.camera = panBy(this.camera, -dx, -dy)
    else this.camera = zoomAt(this.camera, Math.exp(-dy * (e.ctrlKey || e.metaKey ? 0.01 : 0.002)), s.x, s.y)
    this.invalidate()
  }

  private handleAt(s: Point): Handle | null {
    const box = this.tool === 'select' ? this.selectionBox() : null
    if (box === null) return null
    return HANDLES.find((h) => { const p = handleScreenPoint(this.camera, box, h); return Math.abs(p.x - s.x) <= HANDLE_PX && Math.abs(p.y - s.y) <= HANDLE_PX }) ?? null
  }

  // ——— commands ———

  setTool(tool: Tool): void {
    this.commitEdit()
    this.cancelGesture()
    this.tool = tool
    if (tool !== 'select') this.selection = new Set()
  }

  /** Picks the colour for new shapes and recolours the selected ones. */
  setColor(color: string): void {
    this.color = color
    this.restyle((s) => ({ ...s, color }))
  }

  /** Picks the stroke width (and text size) for new shapes and applies it to the selected ones. */
  setWidth(width: number): void {
    this.width = width
    this.restyle((s) => s.type === 'text' ? withText({ ...s, width, size: fontSizeFor(width) }, s.text ?? '') : { ...s, width })
  }

  private restyle(change: (s: Shape) => Shape): void {
    if (this.selection.size === 0) return
    this.transact(() => {
      for (const id of this.selection) { const e = this.scene.get(id); if (e !== undefined) this.shapes.set(id, storedShape(change(e.shape))) }
    })
  }

  deleteSelection(): void {
    if (this.selection.size === 0) return
    const ids = this.selection
    this.selection = new Set()
    this.transact(() => { for (const id of ids) this.shapes.delete(id) })
  }

  selectAll(): void {
    this.tool = 'select'
    this.selection = new Set(this.scene.ordered().map((e) => e.id))
    this.invalidate()
  }

  /** Escape: drop the drag, else the selection, else go back to the select tool. */
  escape(): void {
    if (this.gesture !== null) this.cancelGesture()
    else if (this.selection.size > 0) { this.selection = new Set(); this.invalidate() }
    else this.setTool('select')
  }

  undo(): void { this.commitEdit(); this.undoManager.undo() }
  redo(): void { this.commitEdit(); this.undoManager.redo() }

  /** Zooms by `factor` around the view's centre. */
  zoomBy(factor: number): void {
    this.camera = zoomAt(this.camera, factor, this.size.width / 2, this.size.height / 2)
    this.invalidate()
  }

  zoomTo(zoom: number): void { this.zoomBy(clampZoom(zoom) / this.camera.zoom) }
  zoomIn(): void { this.zoomBy(ZOOM_STEP) }
  zoomOut(): void { this.zoomBy(1 / ZOOM_STEP) }

  /** Shows all shapes (or the selection, when there is one). */
  fit(): void {
    const rects = this.selection.size > 0 ? [...this.selection].flatMap((id) => this.scene.get(id)?.bounds ?? []) : this.scene.ordered().map((e) => e.bounds)
    this.camera = fitCamera(union(rects), this.size.width, this.size.height)
    this.invalidate()
  }

  // ——— text ———

  private startNewText(type: 'text' | 'sticky', p: Point): void {
    // One text or note per click: the next click ends this one and selects, as elsewhere.
    this.tool = 'select'
    this.selection = new Set()
    this.editText = ''
    this.editing = { id: newShapeId(), shape: newTextShape(type, p, { color: this.color, width: this.width, author: this.presence.name }), isNew: true }
  }

  edit(id: string): void {
    const e = this.scene.get(id)
    if (e === undefined) return
    this.selection = new Set([id])
    this.editText = e.shape.text ?? ''
    this.editing = { id, shape: e.shape, isNew: false }
    this.invalidate()
  }

  /**
   * Stores the text box's content: a text's box is measured to fit it, and an emptied text is
   * removed (a note stays, empty notes are useful). Called on blur, Escape and any other action.
   */
  commitEdit(): void {
    const edit = this.editing
    if (edit === null) return
    this.editing = null
    const current = this.scene.get(edit.id)?.shape ?? edit.shape
    const value = this.editText
    if (edit.shape.type === 'text' && value.trim() === '') {
      if (!edit.isNew) this.transact(() => { this.shapes.delete(edit.id) })
    } else if (edit.isNew || value !== current.text) {
      const next = withText(edit.isNew ? { ...current, z: this.scene.topZ() + 1 } : current, value)
      this.transact(() => { this.shapes.set(edit.id, storedShape(next)) })
    }
    this.invalidate()
  }

  private add(shape: Shape): void {
    const id = newShapeId()
    this.transact(() => { this.shapes.set(id, storedShape(shape)) })
  }

  private transact(fn: () => void): void {
    this.doc.transact(fn, this.local)
  }
}
