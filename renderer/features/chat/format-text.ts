/*
 * What the composer's formatting bar and shortcuts do to the text: markdown put around the
 * selection or in front of its lines, the same text left selected, and a second press taking it
 * away again (as in Slack and Teams). Pure, so it is tested without a page.
 */

/** The text after a formatting step, and the selection to put back. */
export interface Formatted { readonly text: string; readonly start: number; readonly end: number }

/** Marks that wrap a selection: bold, italic, strike, inline code. */
export type InlineMark = '**' | '*' | '~~' | '`'
/** Marks put in front of each selected line. */
export type LineMark = 'bullet' | 'numbered' | 'quote'

/** Wraps the selection in `mark` (an empty pair at the cursor), or unwraps a selection already inside one. */
export function wrapSelection(value: string, start: number, end: number, mark: InlineMark): Formatted {
  const before = value.slice(start - mark.length, start)
  const after = value.slice(end, end + mark.length)
  // `*` is also half of `**`: an italic press next to bold is a new mark, not an unwrap.
  const wrapped = before === mark && after === mark && !(mark === '*' && (value[start - 2] === '*' || value[end + 1] === '*'))
  if (wrapped) {
    return { text: value.slice(0, start - mark.length) + value.slice(start, end) + value.slice(end + mark.length), start: start - mark.length, end: end - mark.length }
  }
  return { text: value.slice(0, start) + mark + value.slice(start, end) + mark + value.slice(end), start: start + mark.length, end: end + mark.length }
}

const LINE_PATTERNS: Record<LineMark, RegExp> = { bullet: /^- /, numbered: /^\d+\. /, quote: /^> ?/ }

/**
 * Puts `- `, `1. ` (counting) or `> ` in front of every line the selection touches, or takes it
 * away when every one of them has it already. The whole of those lines is selected afterwards.
 */
export function markLines(value: string, start: number, end: number, mark: LineMark): Formatted {
  const from = start === 0 ? 0 : value.lastIndexOf('\n', start - 1) + 1
  const next = value.indexOf('\n', Math.max(end - (end > start && value[end - 1] === '\n' ? 1 : 0), start))
  const to = next === -1 ? value.length : next
  const lines = value.slice(from, to).split('\n')
  const pattern = LINE_PATTERNS[mark]
  const undo = lines.every((line) => pattern.test(line))
  const changed = lines.map((line, i) => {
    if (undo) return line.replace(pattern, '')
    const bare = line.replace(LINE_PATTERNS.bullet, '').replace(LINE_PATTERNS.numbered, '')
    return mark === 'bullet' ? `- ${bare}` : mark === 'numbered' ? `${i + 1}. ${bare}` : `> ${line}`
  }).join('\n')
  return { text: value.slice(0, from) + changed + value.slice(to), start: from, end: from + changed.length }
}

/** Puts the selection in a fenced code block on lines of its own (the cursor inside an empty one). */
export function codeBlock(value: string, start: number, end: number): Formatted {
  const head = start > 0 && value[start - 1] !== '\n' ? '\n```\n' : '```\n'
  const tail = end < value.length && value[end] !== '\n' ? '\n```\n' : '\n```'
  const inner = value.slice(start, end)
  return { text: value.slice(0, start) + head + inner + tail + value.slice(end), start: start + head.length, end: start + head.length + inner.length }
}

/** Makes the selection a link's text; the address part is selected, ready to be typed or pasted over. */
export function linkSelection(value: string, start: number, end: number): Formatted {
  const label = value.slice(start, end)
  // A selected address becomes the link's address, its text left to type.
  if (/^https?:\/\/\S+$/i.test(label)) {
    return { text: `${value.slice(0, start)}[](${label})${value.slice(end)}`, start: start + 1, end: start + 1 }
  }
  const address = 'https://'
  const text = `${value.slice(0, start)}[${label}](${address})${value.slice(end)}`
  const at = start + label.length + 3
  return { text, start: at, end: at + address.length }
}

/** One formatting step, as the bar's buttons and the keyboard shortcuts name it. */
export type FormatAction =
  | { readonly kind: 'wrap', readonly mark: InlineMark }
  | { readonly kind: 'lines', readonly mark: LineMark }
  | { readonly kind: 'codeBlock' }
  | { readonly kind: 'link' }

export function applyFormat(action: FormatAction, value: string, start: number, end: number): Formatted {
  switch (action.kind) {
    case 'wrap': return wrapSelection(value, start, end, action.mark)
    case 'lines': return markLines(value, start, end, action.mark)
    case 'codeBlock': return codeBlock(value, start, end)
    case 'link': return linkSelection(value, start, end)
  }
}

/** The key a shortcut is pressed with (Ctrl or ⌘; `shift` for the second row, Slack's keys). */
interface Shortcut { readonly shift: boolean, readonly code: string }

/** Formatting steps with their shortcut, in the bar's order. */
export const FORMATS: ReadonlyArray<{ readonly name: string, readonly action: FormatAction, readonly key: Shortcut | null }> = [
  { name: 'bold', action: { kind: 'wrap', mark: '**' }, key: { shift: false, code: 'KeyB' } },
  { name: 'italic', action: { kind: 'wrap', mark: '*' }, key: { shift: false, code: 'KeyI' } },
  { name: 'strike', action: { kind: 'wrap', mark: '~~' }, key: { shift: true, code: 'KeyX' } },
  { name: 'code', action: { kind: 'wrap', mark: '`' }, key: { shift: false, code: 'KeyE' } },
  { name: 'link', action: { kind: 'link' }, key: { shift: true, code: 'KeyU' } },
  { name: 'numbered', action: { kind: 'lines', mark: 'numbered' }, key: { shift: true, code: 'Digit7' } },
  { name: 'bullet', action: { kind: 'lines', mark: 'bullet' }, key: { shift: true, code: 'Digit8' } },
  { name: 'quote', action: { kind: 'lines', mark: 'quote' }, key: { shift: true, code: 'Digit9' } },
  { name: 'codeBlock', action: { kind: 'codeBlock' }, key: null }
]

/** The formatting step a key press asks for, if any (`code` is the physical key: Shift+7 is still Digit7). */
export function formatForKey(event: { readonly ctrlKey: boolean, readonly metaKey: boolean, readonly altKey: boolean, readonly shiftKey: boolean, readonly code: string }): FormatAction | undefined {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return undefined
  return FORMATS.find((f) => f.key !== null && f.key.code === event.code && f.key.shift === event.shiftKey)?.action
}

/** How a shortcut is written in a tooltip. */
export function shortcutLabel(key: Shortcut, mac: boolean): string {
  const name = key.code.replace(/^(Key|Digit)/, '')
  return `${mac ? '⌘' : 'Ctrl+'}${key.shift ? (mac ? '⇧' : 'Shift+') : ''}${name}`
}

/** HTML with one of these tags is formatted; anything else (an editor's coloured code, plain spans) pastes as its plain text. */
const FORMATTING = /<(b|strong|i|em|s|del|strike|a\s|ul|ol|blockquote|pre|h[1-6]|table)\b/i

export const hasFormatting = (html: string): boolean => FORMATTING.test(html)

/** Whether pasted HTML has any text (a copied picture comes as an <img> and its file). */
export const htmlHasText = (html: string): boolean => html.replace(/<[^>]*>/g, '').trim() !== ''
