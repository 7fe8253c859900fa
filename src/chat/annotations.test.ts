import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyOp, emptyAnnotations, isEmoji, MAX_EDITS_KEPT, reactionsOf, type AnnotationOp } from './annotations.js'
import type { PeerIdString } from '../api/contract.js'

const A = 'peer-a' as PeerIdString
const B = 'peer-b' as PeerIdString
const C = 'peer-c' as PeerIdString

/** Every order of `items` (small lists only). */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items]
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]))
}

function shown(ops: AnnotationOp[]): unknown {
  const a = emptyAnnotations()
  for (const op of ops) applyOp(a, op)
  return { reactions: reactionsOf(a), text: a.edits.at(-1)?.text, recalled: a.recalled, pinned: a.pin?.on === true }
}

test('reactions, edits and pins come out the same in every arrival order', () => {
  const ops: AnnotationOp[] = [
    { type: 'react', by: B, hlc: 10, emoji: '👍', on: true },
    { type: 'react', by: B, hlc: 30, emoji: '👍', on: false },
    { type: 'react', by: C, hlc: 20, emoji: '👍', on: true },
    { type: 'edit', by: A, hlc: 15, text: 'second' },
    { type: 'edit', by: A, hlc: 25, text: 'third' },
    { type: 'pin', by: C, hlc: 12, on: true }
  ]
  const expected = shown(ops)
  assert.deepEqual(expected, { reactions: [{ emoji: '👍', by: [C] }], text: 'third', recalled: undefined, pinned: true })
  for (const order of permutations(ops)) assert.deepEqual(shown(order), expected)
})

test('a recall wins over everything, whenever it arrives, and erases edits and reactions', () => {
  const ops: AnnotationOp[] = [
    { type: 'edit', by: A, hlc: 15, text: 'secret v2' },
    { type: 'react', by: B, hlc: 40, emoji: '🎉', on: true },
    { type: 'recall', by: A, hlc: 20 },
    { type: 'pin', by: B, hlc: 50, on: true }
  ]
  for (const order of permutations(ops)) {
    const a = emptyAnnotations()
    for (const op of order) applyOp(a, op)
    assert.deepEqual(a, { reactions: [], edits: [], recalled: { by: A, hlc: 20 } })
    assert.ok(!JSON.stringify(a).includes('secret'))
  }
})

test('a pin and an unpin at the same clock go to the greater device, on every device', () => {
  const ops: AnnotationOp[] = [{ type: 'pin', by: B, hlc: 7, on: true }, { type: 'pin', by: C, hlc: 7, on: false }]
  for (const order of permutations(ops)) {
    const a = emptyAnnotations()
    for (const op of order) applyOp(a, op)
    assert.equal(a.pin?.on, false)
  }
})

test('one member cannot grow a message\'s reactions without bound, and edits keep the newest', () => {
  const a = emptyAnnotations()
  const faces = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎', '😍', '😘', '🥰', '😗', '😙', '🥲', '😚', '🙂', '🤗', '🤩', '🤔', '🫡', '🤨', '😐', '😑', '😶', '🫥', '😏', '😒', '🙄', '😬', '😮‍💨', '🤥', '😌', '😔', '😪', '🤤', '😴', '😷', '🤒', '🤕', '🤢']
  faces.forEach((emoji, i) => applyOp(a, { type: 'react', by: B, hlc: i + 1, emoji, on: true }))
  assert.equal(a.reactions.filter((r) => r.by === B).length, 40)
  assert.notEqual(applyOp(a, { type: 'react', by: C, hlc: 100, emoji: '😀', on: true }), null, 'others still react')
  for (let i = 0; i < MAX_EDITS_KEPT + 5; i++) applyOp(a, { type: 'edit', by: A, hlc: 200 + i, text: `v${i}` })
  assert.equal(a.edits.length, MAX_EDITS_KEPT)
  assert.equal(a.edits.at(-1)?.text, `v${MAX_EDITS_KEPT + 4}`)
})

test('a reaction is exactly one emoji', () => {
  for (const ok of ['👍', '👍🏽', '🇨🇳', '👨‍👩‍👧', '❤️']) assert.ok(isEmoji(ok), ok)
  for (const bad of ['', 'a', '👍👍', '👍 ', '<b>', '1', '👍a']) assert.ok(!isEmoji(bad), bad)
})
