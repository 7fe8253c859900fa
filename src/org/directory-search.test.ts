import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { createDirectoryIndex, type DirectoryEntry, type DirectoryIndex } from './directory-search.js'

const member = (userId: string, name: string, extra: Partial<DirectoryEntry> = {}): DirectoryEntry =>
  ({ userId, name, departments: ['hq'], ...extra })

function indexOf(...entries: DirectoryEntry[]): DirectoryIndex {
  const index = createDirectoryIndex()
  for (const e of entries) index.upsert(e)
  return index
}

const ids = (index: DirectoryIndex, query: string, limit?: number): string[] =>
  index.search(query, limit === undefined ? {} : { limit }).map((h) => h.userId)

test('finds 张三 by its characters, full pinyin, a pinyin prefix and its initials', () => {
  const index = indexOf(member('u1', '张三'), member('u2', '李四'))
  for (const q of ['张三', '张', '三', 'zhangsan', 'zhangs', 'zhang', 'zs', 'z', 'zhs', 'zsan']) {
    assert.deepEqual(ids(index, q), ['u1'], q)
  }
  assert.equal(index.search('zhangsan')[0]?.matched, 'pinyin')
  assert.equal(index.search('zs')[0]?.matched, 'initials')
  assert.equal(index.search('张三')[0]?.matched, 'name')
  assert.deepEqual(ids(index, 'zhangsi'), [])
})

test('ignores case, width and whitespace in the query', () => {
  const index = indexOf(member('u1', '张三'), member('u2', 'Li Wei'))
  assert.deepEqual(ids(index, ' Zhang San '), ['u1'])
  assert.deepEqual(ids(index, 'ＺＳ'), ['u1'])
  assert.deepEqual(ids(index, 'LI wei'), ['u2'])
  assert.deepEqual(ids(index, '   '), [])
})

test('reads polyphonic surnames as surnames', () => {
  const index = indexOf(member('zeng', '曾国藩'), member('shan', '单雄信'), member('xie', '解晓东'))
  assert.deepEqual(ids(index, 'zengguofan'), ['zeng'])
  assert.deepEqual(ids(index, 'zgf'), ['zeng'])
  assert.deepEqual(ids(index, 'shanx'), ['shan'])
  assert.deepEqual(ids(index, 'xiexiao'), ['xie'])
  assert.deepEqual(ids(index, 'cengguofan'), [])
})

test('takes v for ü, as pinyin keyboards do', () => {
  const index = indexOf(member('u1', '吕布'))
  assert.deepEqual(ids(index, 'lvbu'), ['u1'])
})

test('finds someone by the pinyin of the given name alone, below surname matches', () => {
  const index = indexOf(member('given', '王小明'), member('surname', '肖红'))
  assert.deepEqual(ids(index, 'xiaoming'), ['given'])
  assert.deepEqual(ids(index, 'xm'), ['given'])
  const hits = index.search('xiao')
  assert.deepEqual(hits.map((h) => h.userId), ['surname', 'given'])
})

test('finds Latin names by word prefix and substring', () => {
  const index = indexOf(member('u1', 'Li Wei'), member('u2', 'Mary-Jane Watson'), member('u3', 'Olivia Chen'))
  assert.deepEqual(ids(index, 'li'), ['u1', 'u3'])
  assert.deepEqual(ids(index, 'wei'), ['u1'])
  assert.deepEqual(ids(index, 'jane'), ['u2'])
  assert.deepEqual(ids(index, 'wats'), ['u2'])
  assert.deepEqual(ids(index, 'livi'), ['u3'])
})

test('finds members by email local part, title and phone digits', () => {
  const index = indexOf(
    member('u1', '张三', { email: 'san.zhang@example.cn', title: '高级工程师', phone: '+86 138-0013-8000' }),
    member('u2', 'Li Wei', { email: 'wli@example.cn', title: 'Senior Engineer', phone: '010 6552 1234' })
  )
  assert.deepEqual(ids(index, 'san.z'), ['u1'])
  assert.deepEqual(ids(index, 'sanzhang'), ['u1'])
  assert.equal(index.search('san.z')[0]?.matched, 'email')
  assert.deepEqual(ids(index, '工程师'), ['u1'])
  assert.deepEqual(ids(index, 'senior eng'), ['u2'])
  assert.deepEqual(ids(index, '13800138'), ['u1'])
  assert.deepEqual(ids(index, '6552-1234'), ['u2'])
  assert.equal(index.search('65521234')[0]?.matched, 'phone')
  assert.deepEqual(ids(index, 'example'), [])
})

test('matches a full pinyin longer than 31 letters', () => {
  const index = indexOf(member('long', '欧阳爱新觉罗诸葛司马上官东方'))
  const full = 'ouyangaixinjueluozhugesimashangguandongfang'
  assert.ok(full.length > 31)
  assert.deepEqual(ids(index, full), ['long'])
})

test('needs at least three digits before matching phone numbers', () => {
  const index = indexOf(member('u1', 'A', { phone: '13800138000' }))
  assert.deepEqual(ids(index, '13'), [])
  assert.deepEqual(ids(index, '138'), ['u1'])
})

test('ranks the exact name, then name prefix, then pinyin, then substrings', () => {
  const index = indexOf(
    member('substring', '李张'),
    member('pinyin', '章伟'),
    member('prefix', '张伟明'),
    member('exact', '张伟'),
    member('title', '王五', { title: '张伟的助理' })
  )
  const hits = index.search('张伟')
  assert.deepEqual(hits.map((h) => h.userId), ['exact', 'prefix', 'title'])
  const byPinyin = index.search('zhangwei').map((h) => h.userId)
  assert.deepEqual(byPinyin.slice(0, 2).sort(), ['exact', 'pinyin'])
  assert.deepEqual(byPinyin.slice(2), ['prefix'])
  const scores = index.search('zhang').map((h) => h.score)
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a))
})

test('breaks ties by name in Chinese collation, then by userId', () => {
  const title = { title: '工程师' }
  const index = indexOf(member('b', '王芳', title), member('c', '陈静', title), member('a2', '李娜', title), member('a1', '李娜', title))
  // Chinese collation orders by pinyin: chen < li < wang.
  assert.deepEqual(ids(index, '工程师'), ['c', 'a1', 'a2', 'b'])
  assert.deepEqual(ids(index, 'n'), ['a1', 'a2'])
})

test('limits results, and keeps the best ones when it does', () => {
  const index = indexOf(...Array.from({ length: 30 }, (_, i) => member(`u${String(i).padStart(2, '0')}`, `张${i}`)), member('best', '张'))
  assert.deepEqual(ids(index, '张', 3), ['best', 'u00', 'u01'])
  assert.equal(index.search('张').length, 31)
  assert.deepEqual(index.search('张', { limit: 0 }), [])
})

test('filters by department', () => {
  const index = indexOf(member('rd', '张三', { departments: ['rd', 'fe'] }), member('sales', '张四', { departments: ['sales'] }))
  assert.deepEqual(index.search('张', { departments: new Set(['fe']) }).map((h) => h.userId), ['rd'])
  assert.deepEqual(index.search('张', { departments: new Set() }), [])
})

test('upsert replaces a member and remove forgets one', () => {
  const index = indexOf(member('u1', '张三'), member('u2', '李四'))
  index.upsert(member('u1', '王五'))
  assert.equal(index.size, 2)
  assert.deepEqual(ids(index, 'zhang'), [])
  assert.deepEqual(ids(index, 'wangwu'), ['u1'])
  assert.equal(index.remove('u2'), true)
  assert.equal(index.remove('u2'), false)
  assert.equal(index.size, 1)
  assert.deepEqual(ids(index, '李四'), [])
})

test('is not affected by later changes to the entry passed in', () => {
  const departments = ['hq']
  const entry = { userId: 'u1', name: '张三', departments }
  const index = indexOf(entry)
  entry.name = '李四'
  departments[0] = 'other'
  assert.deepEqual(index.search('张三', { departments: new Set(['hq']) }).map((h) => h.userId), ['u1'])
})

const surnames = '张 王 李 赵 曾 单 解 吕 欧阳'.split(' ')
const given = '三 伟 芳 娜 明 国 藩 雄 信 晓 东'.split(' ')
const chineseName = fc.tuple(fc.constantFrom(...surnames), fc.array(fc.constantFrom(...given), { minLength: 1, maxLength: 2 }))
  .map(([s, g]) => s + g.join(''))
const latinName = fc.tuple(fc.constantFrom('Li', 'Wei', 'Anna', 'Zhang', 'Olivia'), fc.constantFrom('Chen', 'Smith', 'Li', 'Wang'))
  .map(([a, b]) => `${a} ${b}`)
const members = fc.uniqueArray(
  fc.record({ userId: fc.string({ minLength: 1, maxLength: 6 }), name: fc.oneof(chineseName, latinName) }),
  { selector: (m) => m.userId, minLength: 1, maxLength: 40 }
)

test('every member is found by its own exact name, ranked first', () => {
  fc.assert(fc.property(members, fc.nat(), (list, pick) => {
    const index = indexOf(...list.map((m) => member(m.userId, m.name)))
    const target = list[pick % list.length]!
    const hits = index.search(target.name, { limit: list.length })
    const own = hits.find((h) => h.userId === target.userId)
    assert.equal(own?.score, hits[0]?.score)
    assert.equal(own?.matched, 'name')
  }))
})

const collator = new Intl.Collator('zh-CN')

test('results never exceed the limit, are sorted by score and break ties by name, then userId', () => {
  const query = fc.oneof(fc.constantFrom('z', 'zh', 'zs', 'li', 'w', '张', '曾国', 'an'), fc.string({ maxLength: 4 }))
  fc.assert(fc.property(members, query, fc.integer({ min: 0, max: 60 }), (list, q, limit) => {
    const index = indexOf(...list.map((m) => member(m.userId, m.name)))
    const names = new Map(list.map((m) => [m.userId, m.name]))
    const hits = index.search(q, { limit })
    assert.ok(hits.length <= limit)
    assert.equal(new Set(hits.map((h) => h.userId)).size, hits.length)
    for (let i = 1; i < hits.length; i++) {
      const [a, b] = [hits[i - 1]!, hits[i]!]
      assert.ok(a.score >= b.score)
      if (a.score === b.score) {
        const byName = collator.compare(names.get(a.userId)!, names.get(b.userId)!)
        assert.ok(byName < 0 || (byName === 0 && a.userId < b.userId))
      }
    }
  }))
})

test('any mix of upserts, removes and searches answers as a freshly built index would', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('upsert' as const), userId: fc.constantFrom('a', 'b', 'c', 'd', 'e'), name: fc.oneof(chineseName, latinName) }),
    fc.record({ kind: fc.constant('remove' as const), userId: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
    fc.record({ kind: fc.constant('bulk' as const), count: fc.integer({ min: 1, max: 120 }), name: chineseName }),
    fc.constant({ kind: 'search' as const })
  )
  fc.assert(fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
    const index = createDirectoryIndex()
    const model = new Map<string, DirectoryEntry>()
    const upsert = (e: DirectoryEntry): void => { index.upsert(e); model.set(e.userId, e) }
    for (const o of ops) {
      if (o.kind === 'upsert') upsert(member(o.userId, o.name))
      else if (o.kind === 'remove') assert.equal(index.remove(o.userId), model.delete(o.userId))
      else if (o.kind === 'bulk') for (let i = 0; i < o.count; i++) upsert(member(`bulk${i}`, o.name))
      else index.search('z')
    }
    const fresh = indexOf(...model.values())
    assert.equal(index.size, model.size)
    for (const q of ['z', 'l', '张', 'li', 'w']) assert.deepEqual(index.search(q, { limit: 500 }), fresh.search(q, { limit: 500 }))
  }), { numRuns: 60 })
})

test('a search gives the same answer whatever order members were added in', () => {
  fc.assert(fc.property(members, fc.constantFrom('z', 'l', 'li', '张', 'w'), (list, q) => {
    const forward = indexOf(...list.map((m) => member(m.userId, m.name)))
    const backward = indexOf(...[...list].reverse().map((m) => member(m.userId, m.name)))
    assert.deepEqual(backward.search(q), forward.search(q))
  }))
})

test('remove makes a member unfindable', () => {
  fc.assert(fc.property(members, fc.nat(), (list, pick) => {
    const index = indexOf(...list.map((m) => member(m.userId, m.name)))
    const target = list[pick % list.length]!
    index.search(target.name)
    index.remove(target.userId)
    for (const q of [target.name, target.name.slice(0, 1), 'z', 'l']) {
      assert.ok(!index.search(q, { limit: 100 }).some((h) => h.userId === target.userId))
    }
    assert.equal(index.size, list.length - 1)
  }))
})
