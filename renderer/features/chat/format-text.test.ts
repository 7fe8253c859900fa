import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyFormat, codeBlock, formatForKey, linkSelection, markLines, shortcutLabel, wrapSelection, type Formatted } from './format-text.js'

/** The text with the selection shown as [ ] (a cursor as |), to read the expectations at a glance. */
const show = (f: Formatted): string => (f.start === f.end ? f.text.slice(0, f.start) + '|' + f.text.slice(f.end) : f.text.slice(0, f.start) + '[' + f.text.slice(f.start, f.end) + ']' + f.text.slice(f.end))

test('a mark wraps the selection, keeps it selected, and a second press takes it away', () => {
  const bold = wrapSelection('make this bold', 10, 14, '**')
  assert.equal(show(bold), 'make this **[bold]**')
  assert.equal(show(wrapSelection(bold.text, bold.start, bold.end, '**')), 'make this [bold]')
  assert.equal(show(wrapSelection('ab', 1, 1, '~~')), 'a~~|~~b')
  // Italic next to bold adds italic rather than eating half of the bold.
  assert.equal(show(wrapSelection('**x**', 2, 3, '*')), '***[x]***')
})

test('list and quote marks go in front of every selected line, count for numbered lists, and come off again', () => {
  const value = 'milk\neggs\nbread'
  const bullets = markLines(value, 2, 7, 'bullet')
  assert.equal(show(bullets), '[- milk\n- eggs]\nbread')
  assert.equal(show(markLines(bullets.text, bullets.start, bullets.end, 'bullet')), '[milk\neggs]\nbread')
  assert.equal(show(markLines(value, 0, value.length, 'numbered')), '[1. milk\n2. eggs\n3. bread]')
  // A numbered press on a bulleted list renumbers it instead of stacking marks.
  assert.equal(markLines(bullets.text, 0, bullets.end, 'numbered').text, '1. milk\n2. eggs\nbread')
  assert.equal(show(markLines('said', 4, 4, 'quote')), '[> said]')
  // A selection ending just after a line break does not reach into the next line.
  assert.equal(markLines(value, 0, 5, 'quote').text, '> milk\neggs\nbread')
  assert.equal(markLines('\nx', 0, 0, 'bullet').text, '- \nx')
})

test('a code block stands on lines of its own; a link selects its address to type over', () => {
  assert.equal(show(codeBlock('see x = 1 here', 4, 9)), 'see \n```\n[x = 1]\n```\n here')
  assert.equal(show(codeBlock('', 0, 0)), '```\n|\n```')
  assert.equal(show(linkSelection('read the docs', 9, 13)), 'read the [docs]([https://])')
  assert.equal(show(linkSelection('go https://a.example/x now', 3, 22)), 'go [|](https://a.example/x) now')
})

test('shortcuts: Ctrl or ⌘ with the key, Shift for the second row, Alt never', () => {
  const press = (code: string, mods: Partial<{ ctrlKey: boolean, metaKey: boolean, altKey: boolean, shiftKey: boolean }>): ReturnType<typeof formatForKey> =>
    formatForKey({ ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, code, ...mods })
  assert.deepEqual(press('KeyB', { ctrlKey: true }), { kind: 'wrap', mark: '**' })
  assert.deepEqual(press('Digit8', { metaKey: true, shiftKey: true }), { kind: 'lines', mark: 'bullet' })
  assert.equal(press('KeyB', { ctrlKey: true, altKey: true }), undefined)
  assert.equal(press('KeyB', {}), undefined)
  assert.equal(press('KeyX', { ctrlKey: true }), undefined, 'Ctrl+X stays cut')
  assert.equal(applyFormat({ kind: 'wrap', mark: '~~' }, 'no', 0, 2).text, '~~no~~')
  assert.equal(shortcutLabel({ shift: true, code: 'Digit7' }, false), 'Ctrl+Shift+7')
})
