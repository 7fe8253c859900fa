import type { DecorationAttrs } from '@tiptap/pm/view'
import type { Awareness } from 'y-protocols/awareness'

// Awareness states come from other peers: treat name and colour as untrusted input. Only
// `#rrggbb` reaches CSS (CollaborationCaret also blanks any other colour to 'transparent').
const HEX_COLOR = /^#[0-9a-f]{6}$/i
/** Longest name drawn on a caret label; CSS clips it further to the label's max width. */
const MAX_NAME_CHARS = 64

function colorOf(user: Record<string, unknown>): string | null {
  return typeof user.color === 'string' && HEX_COLOR.test(user.color) ? user.color : null
}

function nameOf(user: Record<string, unknown>): string {
  return typeof user.name === 'string' ? user.name.slice(0, MAX_NAME_CHARS) : ''
}

/** Black or white, whichever reads better on the user's colour (WCAG relative luminance). */
function textOn(hex: string): string {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
  return luminance > 0.179 ? '#000000' : '#ffffff'
}

/**
 * A colleague's caret: a bar in their colour with their name on a tag above it. Colours go
 * through CSSOM (`style.setProperty`), which the app's CSP allows; style attributes it forbids.
 */
export function renderCaret(user: Record<string, unknown>): HTMLElement {
  const color = colorOf(user)
  const caret = document.createElement('span')
  caret.className = 'note-caret'
  // The name is a visual hint; read aloud it would land in the middle of the text.
  caret.setAttribute('aria-hidden', 'true')
  const label = document.createElement('span')
  label.className = 'note-caret-label'
  label.textContent = nameOf(user)
  if (color !== null) {
    caret.style.setProperty('--caret-color', color)
    label.style.setProperty('--caret-text', textOn(color))
  }
  // Word joiners keep the caret from becoming a line-break opportunity (as y-prosemirror's own caret does).
  caret.append('\u2060', label, '\u2060')
  return caret
}

/** A colleague's selection: a tint of their colour behind the text. */
export function renderSelection(user: Record<string, unknown>): DecorationAttrs {
  const color = colorOf(user)
  return color === null
    ? { nodeName: 'span', class: 'note-remote-selection' }
    : { nodeName: 'span', class: 'note-remote-selection', style: `--caret-color: ${color}` }
}

/**
 * Who this window is in the doc, as the doc session set it. Passed through untouched:
 * CollaborationCaret re-publishes it as the local `user` field when it starts.
 */
export function localUser(awareness: Awareness): Record<string, unknown> {
  const user: unknown = awareness.getLocalState()?.user
  return typeof user === 'object' && user !== null ? user as Record<string, unknown> : {}
}
