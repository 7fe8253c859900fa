import assert from 'node:assert/strict'
import { test } from 'node:test'
import { highlightRuns, rangeStart } from './search-text.js'

test('highlight ranges cut the snippet into marked and plain runs, clamped to the text', () => {
  assert.deepEqual(highlightRuns('Q3 roadmap review', [[0, 2], [3, 7]]), [
    { text: 'Q3', hit: true }, { text: ' ', hit: false }, { text: 'road', hit: true }, { text: 'map review', hit: false }
  ])
  assert.deepEqual(highlightRuns('短', [[0, 9]]), [{ text: '短', hit: true }])
  assert.deepEqual(highlightRuns('plain', []), [{ text: 'plain', hit: false }])
})

test('date ranges start at local midnight', () => {
  const now = new Date(2026, 11, 5, 15, 30)
  assert.equal(rangeStart('any', now), undefined)
  assert.equal(rangeStart('today', now), new Date(2026, 11, 5).getTime())
  assert.equal(rangeStart('week', now), new Date(2026, 11, 5).getTime() - 6 * 86_400_000)
  assert.equal(rangeStart('month', now), new Date(2026, 10, 5).getTime())
  assert.equal(rangeStart('year', now), new Date(2025, 11, 5).getTime())
})
