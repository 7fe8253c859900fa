import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fold } from './fold.js'
import { decodePostings, encodePostings, intersectPostings, unionPostings } from './postings.js'
import { matchesAll, matchRanges, queryTerms, textTokens } from './terms.js'

/** Would a message with `text` be found by `query`: every query token indexed, and confirmed? */
function finds(text: string, query: string): boolean {
  const folded = fold(text)
  const tokens = new Set(textTokens(folded))
  const terms = queryTerms(query)
  return terms.every((t) => t.tokens.every((k) => tokens.has(k))) && matchesAll(folded, terms)
}

test('folds case, full-width forms and Latin accents; kana keep their voicing', () => {
  assert.equal(fold('ＡＢＣ１２３　Café'), 'abc123 cafe')
  assert.equal(fold('ﾃｽﾄ'), 'テスト')
  assert.equal(fold('ガ'), 'ガ')
  assert.equal(fold('ÉCOLE Straße'), 'ecole straße')
})

test('Chinese is found by any substring of two or more characters, and not by characters out of order', () => {
  const text = '明天下午三点在第二会议室讨论项目预算'
  for (const q of ['明天', '三点', '会议室讨论', '项目预算', '讨论项目', '第二会议室']) assert.ok(finds(text, q), q)
  assert.ok(!finds(text, '预算项目'))
  assert.ok(!finds(text, '会议纪要'))
})

test('English is found by words and word beginnings, not by the middle of a word', () => {
  const text = 'Quarterly Planning meeting moved to Thursday'
  for (const q of ['meeting', 'meet', 'PLAN', 'quarterly planning', 'thurs', 'planning meeting']) assert.ok(finds(text, q), q)
  assert.ok(!finds(text, 'eeting'))
  assert.ok(!finds(text, 'planned'))
  assert.ok(finds('Supercalifragilistic', 'supercalif'), 'a word past the indexed prefix is confirmed against the text')
  assert.ok(!finds('Supercalifragilistic', 'supercalm'))
})

test('mixed scripts, full-width input, emoji and punctuation', () => {
  const text = '新版iPhone发布会🎉，详见 https://example.com/launch（内部）'
  assert.ok(finds(text, 'iphone发布会'))
  assert.ok(finds(text, 'ｉＰｈｏｎｅ'), 'full-width query')
  assert.ok(finds(text, '🎉'))
  assert.ok(finds(text, 'example launch'))
  assert.ok(finds(text, '发布会，详见'), 'punctuation in the query separates terms')
  assert.ok(!finds(text, '🚀'))
  assert.ok(finds('ＶＩＰ客户名单', 'vip客户'), 'full-width text, half-width query')
})

test('a one-character term looks nothing up but must still be there', () => {
  const [term] = queryTerms('a')
  assert.deepEqual(term?.tokens, [])
  assert.ok(finds('3月份的报表', '3月份'))
  assert.ok(!finds('5月份的报表', '3月份'))
})

test('highlights map back to the original text through folding', () => {
  const text = 'Ｍｅｅｔｉｎｇ at 会议室 about MEETINGS'
  const ranges = matchRanges(text, queryTerms('meeting 会议'))
  assert.deepEqual(ranges.map(([a, b]) => text.slice(a, b)), ['Ｍｅｅｔｉｎｇ', '会议', 'MEETINGS'])
  const budget = 'Budget: the budgets, rebudgeted'
  assert.deepEqual(matchRanges(budget, queryTerms('budg')).map(([a, b]) => budget.slice(a, b)), ['Budget', 'budgets'], 'a word begun is marked whole, a word\'s middle not at all')
})

test('tokens of a text are capped, so a pasted dump cannot blow up the index', () => {
  const dump = Array.from({ length: 16_000 }, (_, i) => String.fromCharCode(0x4E00 + ((i * 7919) % 20_000))).join('')
  assert.equal(textTokens(fold(dump)).length, 4096)
})

test('posting lists survive encoding, and union and intersection agree with sets', () => {
  const list = fc.uniqueArray(fc.integer({ min: 0, max: 65_535 }), { maxLength: 300 }).map((a) => Uint32Array.from(a).sort())
  fc.assert(fc.property(list, list, list, (a, b, c) => {
    assert.deepEqual([...decodePostings(encodePostings(a))], [...a])
    const inter = [...a].filter((x) => b.includes(x) && c.includes(x))
    assert.deepEqual([...intersectPostings([a, b, c])], inter)
    assert.deepEqual([...unionPostings([a, b, c])], [...new Set([...a, ...b, ...c])].sort((x, y) => x - y))
  }))
})
