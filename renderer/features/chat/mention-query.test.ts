import assert from 'node:assert/strict'
import { test } from 'node:test'
import { completeMention, mentionAt, mentionedIn } from './mention-query.js'

test('an @ at the start, after a space or punctuation starts a mention; inside a word it does not', () => {
  assert.deepEqual(mentionAt('@Ca', 3), { start: 0, query: 'Ca' })
  assert.deepEqual(mentionAt('hi @', 4), { start: 3, query: '' })
  assert.deepEqual(mentionAt('好的，@张', 5), { start: 3, query: '张' })
  assert.equal(mentionAt('mail ana@acme.com', 17), null)
  assert.equal(mentionAt('@Carol is here', 14), null, 'a space ends it')
  assert.deepEqual(mentionAt('@Carol is here', 3), { start: 0, query: 'Ca' }, 'only what is before the caret counts')
})

test('completing replaces the query with the name and a space, the caret after it', () => {
  const text = 'ask @ca about it'
  const at = mentionAt(text, 7)
  assert.ok(at !== null)
  assert.deepEqual(completeMention(text, at, 7, 'Carol Wang'), { text: 'ask @Carol Wang  about it', caret: 16 })
})

test('a chosen person whose @name was deleted from the text is not mentioned', () => {
  const chosen = [{ name: 'Carol Wang', id: 1 }, { name: '张伟', id: 2 }]
  assert.deepEqual(mentionedIn('thanks @张伟!', chosen).map((c) => c.id), [2])
})
