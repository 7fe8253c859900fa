import type { ChainedCommands, Editor } from '@tiptap/core'
// The commands below are declared by these extensions (TipTap augments its command types per extension).
import type {} from '@tiptap/starter-kit'
import type {} from '@tiptap/extension-collaboration'
import type {} from '@tiptap/extension-list'

/** The note toolbar's commands, in toolbar order; each has a `notes.<action>` label. */
export const NOTE_ACTIONS = [
  'bold', 'italic', 'strike', 'code',
  'heading1', 'heading2', 'bulletList', 'orderedList', 'taskList', 'blockquote', 'codeBlock',
  'undo', 'redo'
] as const
export type NoteAction = (typeof NOTE_ACTIONS)[number]

/** Where the toolbar draws a divider: before the first block command and before undo. */
export const GROUP_STARTS: ReadonlySet<NoteAction> = new Set(['heading1', 'undo'])

/** What the toolbar shows for each command at one moment. */
export interface ToolbarState {
  /** On or off for the selection; undefined for undo/redo, which are not toggles. */
  pressed: Record<NoteAction, boolean | undefined>
  enabled: Record<NoteAction, boolean>
}

function apply(chain: ChainedCommands, action: NoteAction): ChainedCommands {
  switch (action) {
    case 'bold': return chain.toggleBold()
    case 'italic': return chain.toggleItalic()
    case 'strike': return chain.toggleStrike()
    case 'code': return chain.toggleCode()
    case 'heading1': return chain.toggleHeading({ level: 1 })
    case 'heading2': return chain.toggleHeading({ level: 2 })
    case 'bulletList': return chain.toggleBulletList()
    case 'orderedList': return chain.toggleOrderedList()
    case 'taskList': return chain.toggleTaskList()
    case 'blockquote': return chain.toggleBlockquote()
    case 'codeBlock': return chain.toggleCodeBlock()
    // The Collaboration extension's undo: it reverts only this editor's own changes, never a colleague's.
    case 'undo': return chain.undo()
    case 'redo': return chain.redo()
  }
}

function isActive(editor: Editor, action: NoteAction): boolean | undefined {
  switch (action) {
    case 'heading1': return editor.isActive('heading', { level: 1 })
    case 'heading2': return editor.isActive('heading', { level: 2 })
    case 'undo':
    case 'redo': return undefined
    default: return editor.isActive(action)
  }
}

/** Runs a toolbar command and gives the typing focus back to the text. */
export function runAction(editor: Editor, action: NoteAction): void {
  apply(editor.chain().focus(), action).run()
}

export function readToolbar(editor: Editor): ToolbarState {
  const pressed = {} as Record<NoteAction, boolean | undefined>
  const enabled = {} as Record<NoteAction, boolean>
  for (const action of NOTE_ACTIONS) {
    pressed[action] = isActive(editor, action)
    // A dry run: false where the command cannot apply (marks inside a code block, undo with nothing to undo).
    enabled[action] = editor.isEditable && apply(editor.can().chain(), action).run()
  }
  return { pressed, enabled }
}
