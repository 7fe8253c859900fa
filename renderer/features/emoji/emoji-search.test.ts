import assert from 'node:assert/strict'
import { test } from 'node:test'
import { recommended, searchEmoji, type EmojiEntry } from './emoji-search.js'

const entries: EmojiEntry[] = [
  { emoji: '👍', group: 1, names: ['thumbs up', '+1', 'like', '拇指向上', '赞'], pinyin: ['muzhixiangshang', 'mzxs', 'zan', 'z'] },
  { emoji: '😂', group: 0, names: ['face with tears of joy', 'laugh', '喜极而泣'], pinyin: ['xijierqi', 'xjeq'] },
  { emoji: '🙏', group: 1, names: ['folded hands', 'thanks', '双手合十'], pinyin: ['shuangshouheshi', 'sshs'] }
]

test('an emoji is found by its English name or keyword, its Chinese name, and its pinyin or initials', () => {
  assert.deepEqual(searchEmoji(entries, 'thumb').map((e) => e.emoji), ['👍'])
  assert.deepEqual(searchEmoji(entries, 'LAUGH').map((e) => e.emoji), ['😂'])
  assert.deepEqual(searchEmoji(entries, '赞').map((e) => e.emoji), ['👍'])
  assert.deepEqual(searchEmoji(entries, 'xjeq').map((e) => e.emoji), ['😂'])
  assert.deepEqual(searchEmoji(entries, 'ｔｈａｎｋｓ').map((e) => e.emoji), ['🙏'], 'full-width letters count as half-width')
  assert.deepEqual(searchEmoji(entries, ''), [])
})

test('names that start with the query come before those that only contain it', () => {
  const found = searchEmoji(entries, 'sh').map((e) => e.emoji)
  assert.deepEqual(found, ['🙏', '👍'])
})

test('a data set\'s extra U+FE0F is dropped where the emoji is recommended without it, kept where it is needed', () => {
  assert.equal(recommended('👍\uFE0F'), '👍')
  assert.equal(recommended('❤\uFE0F'), '❤\uFE0F')
  assert.equal(recommended('👍🏽'), '👍🏽')
})
