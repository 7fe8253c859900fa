import { TOOLS, type BoardEditor } from './board-editor.svelte'

/**
 * The board's keyboard shortcuts: a letter per tool, Delete/Backspace, Escape, +/−, undo
 * (Ctrl/Cmd+Z), redo (Ctrl/Cmd+Shift+Z or Ctrl+Y), select all, and Space held to pan.
 * True when the key was one (the caller then prevents its default).
 */
export function handleBoardKey(editor: BoardEditor, e: KeyboardEvent): boolean {
  const key = e.key.toLowerCase()
  if (e.ctrlKey || e.metaKey) {
    if (key === 'z' && e.shiftKey) editor.redo()
    else if (key === 'z') editor.undo()
    else if (key === 'y') editor.redo()
    else if (key === 'a') editor.selectAll()
    else return false
    return true
  }
  if (e.altKey) return false
  const tool = TOOLS.find((t) => t.key === key)
  if (e.key === ' ') { if (!e.repeat) editor.spaceHeld = true }
  else if (e.key === 'Delete' || e.key === 'Backspace') editor.deleteSelection()
  else if (e.key === 'Escape') editor.escape()
  else if (e.key === '+' || e.key === '=') editor.zoomIn()
  else if (e.key === '-') editor.zoomOut()
  else if (tool !== undefined && !e.shiftKey) editor.setTool(tool.tool)
  else return false
  return true
}
