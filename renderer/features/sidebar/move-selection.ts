import { conversations } from '../../state/conversations.svelte'

/**
 * ↑/↓ on a sidebar row selects the previous or next conversation (channels, then direct ones)
 * and moves focus to its row: one tab stop per list, as in a listbox.
 */
export function moveSelection(event: KeyboardEvent): void {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
  event.preventDefault()
  conversations.move(event.key === 'ArrowDown' ? 1 : -1)
  const id = conversations.selectedId
  if (id === null) return
  queueMicrotask(() => document.querySelector<HTMLElement>(`[data-conversation="${CSS.escape(id)}"]`)?.focus())
}
