import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { createDepartmentTree, type Department } from './department-tree.js'

const dept = (id: string, parentId: string | null, order = 0, name = id): Department => ({ id, parentId, name, order })
const ids = (list: readonly Department[]): string[] => list.map((d) => d.id)

const company = [
  dept('rd', 'hq', 2, '研发部'),
  dept('hq', null, 0, '总部'),
  dept('sales', 'hq', 1, '销售部'),
  dept('fe', 'rd', 0, '前端组'),
  dept('be', 'rd', 0, '后端组'),
  dept('ops', null, 1, '运维'),
  dept('qa', 'rd', 1, '测试组')
]

test('sorts siblings by order, then by name in Chinese collation', () => {
  const tree = createDepartmentTree(company)
  assert.deepEqual(ids(tree.roots()), ['hq', 'ops'])
  assert.deepEqual(ids(tree.children('hq')), ['sales', 'rd'])
  // 后端 (hou) sorts before 前端 (qian) in pinyin order; both have order 0.
  assert.deepEqual(ids(tree.children('rd')), ['be', 'fe', 'qa'])
  assert.deepEqual(tree.children('fe'), [])
  assert.deepEqual(tree.children('nope'), [])
})

test('gives the path from the root, the depth and the department itself', () => {
  const tree = createDepartmentTree(company)
  assert.deepEqual(ids(tree.path('fe')), ['hq', 'rd', 'fe'])
  assert.equal(tree.depth('fe'), 2)
  assert.equal(tree.depth('hq'), 0)
  assert.equal(tree.get('fe')?.name, '前端组')
  assert.equal(tree.get('nope'), undefined)
  assert.deepEqual(tree.path('nope'), [])
  assert.equal(tree.depth('nope'), undefined)
  assert.equal(tree.size, 7)
})

test('lists descendants depth-first in sibling order', () => {
  const tree = createDepartmentTree(company)
  assert.deepEqual(ids(tree.descendants('hq')), ['sales', 'rd', 'be', 'fe', 'qa'])
  assert.deepEqual(ids(tree.descendants('fe')), [])
  assert.deepEqual(tree.descendants('nope'), [])
})

test('knows ancestors, and that nobody is their own ancestor', () => {
  const tree = createDepartmentTree(company)
  assert.equal(tree.isAncestor('hq', 'fe'), true)
  assert.equal(tree.isAncestor('rd', 'fe'), true)
  assert.equal(tree.isAncestor('fe', 'hq'), false)
  assert.equal(tree.isAncestor('sales', 'fe'), false)
  assert.equal(tree.isAncestor('fe', 'fe'), false)
  assert.equal(tree.isAncestor('ops', 'fe'), false)
  assert.equal(tree.isAncestor('nope', 'fe'), false)
})

test('handles 30 levels of nesting', () => {
  const chain = Array.from({ length: 30 }, (_, i) => dept(`d${i}`, i === 0 ? null : `d${i - 1}`))
  const tree = createDepartmentTree(chain.reverse())
  assert.equal(tree.depth('d29'), 29)
  assert.deepEqual(ids(tree.path('d29')), Array.from({ length: 30 }, (_, i) => `d${i}`))
  assert.equal(tree.descendants('d0').length, 29)
  assert.equal(tree.isAncestor('d0', 'd29'), true)
})

test('survives a 100,000-deep chain without overflowing the stack', () => {
  const chain = Array.from({ length: 100_000 }, (_, i) => dept(`d${i}`, i === 0 ? null : `d${i - 1}`))
  const tree = createDepartmentTree(chain)
  assert.equal(tree.depth('d99999'), 99_999)
  assert.equal(tree.descendants('d0').length, 99_999)
})

test('treats a department with an unknown parent as a root', () => {
  const tree = createDepartmentTree([dept('a', null), dept('orphan', 'deleted'), dept('b', 'orphan')])
  assert.deepEqual(ids(tree.roots()), ['a', 'orphan'])
  assert.equal(tree.get('orphan')?.parentId, null)
  assert.deepEqual(ids(tree.path('b')), ['orphan', 'b'])
})

test('breaks a two-department cycle at the lowest id', () => {
  const tree = createDepartmentTree([dept('b', 'a'), dept('a', 'b')])
  assert.deepEqual(ids(tree.roots()), ['a'])
  assert.deepEqual(ids(tree.path('b')), ['a', 'b'])
  assert.equal(tree.get('a')?.parentId, null)
})

test('breaks a longer cycle at its lowest id and keeps branches hanging off it', () => {
  // x → c → d → b → c (cycle c,d,b); y → x.
  const input = [dept('c', 'b'), dept('d', 'c'), dept('b', 'd'), dept('x', 'c'), dept('y', 'x'), dept('z', null)]
  const tree = createDepartmentTree(input)
  assert.deepEqual(ids(tree.roots()), ['b', 'z'])
  assert.deepEqual(ids(tree.path('y')), ['b', 'c', 'x', 'y'])
  assert.deepEqual(ids(tree.path('d')), ['b', 'c', 'd'])
})

test('a department that is its own parent becomes a root', () => {
  const tree = createDepartmentTree([dept('a', 'a'), dept('b', 'a')])
  assert.deepEqual(ids(tree.roots()), ['a'])
  assert.deepEqual(ids(tree.children('a')), ['b'])
})

test('the last record for a duplicated id wins', () => {
  const tree = createDepartmentTree([dept('a', null, 0, 'old'), dept('b', null), dept('a', 'b', 0, 'new')])
  assert.equal(tree.size, 2)
  assert.equal(tree.get('a')?.name, 'new')
  assert.deepEqual(ids(tree.roots()), ['b'])
  assert.deepEqual(ids(tree.children('b')), ['a'])
})

// Random parent links over a small id space produce orphans, self-links and cycles.
const arbitraryDepartments = fc.array(
  fc.record({
    id: fc.constantFrom(...'a b c d e f g h i j'.split(' ')),
    parentId: fc.option(fc.constantFrom(...'a b c d e f g h i j k'.split(' ')), { nil: null }),
    name: fc.constantFrom('甲', '乙', 'A', 'B'),
    order: fc.integer({ min: 0, max: 2 })
  }),
  { maxLength: 25 }
)

test('whatever the links, every department sits exactly once under exactly one root', () => {
  fc.assert(fc.property(arbitraryDepartments, (input) => {
    const tree = createDepartmentTree(input)
    const seen = tree.roots().flatMap((r) => [r.id, ...ids(tree.descendants(r.id))])
    assert.equal(seen.length, tree.size)
    assert.equal(new Set(seen).size, tree.size)
    for (const id of seen) {
      const path = tree.path(id)
      assert.equal(path[0]?.parentId, null)
      assert.equal(path.length - 1, tree.depth(id))
      for (const above of path.slice(0, -1)) assert.ok(tree.isAncestor(above.id, id))
    }
  }))
})

test('the tree does not depend on the order of distinct records', () => {
  const distinct = arbitraryDepartments.map((list) => [...new Map(list.map((d) => [d.id, d])).values()])
  fc.assert(fc.property(distinct, fc.integer(), (input, seed) => {
    const shuffled = [...input].sort((a, b) => ((a.id.charCodeAt(0) * 31 + seed) % 7) - ((b.id.charCodeAt(0) * 31 + seed) % 7))
    const shape = (list: Department[]): string[] => {
      const tree = createDepartmentTree(list)
      return tree.roots().flatMap((r) => [r, ...tree.descendants(r.id)]).map((d) => `${d.id}<${d.parentId ?? ''}`)
    }
    assert.deepEqual(shape(shuffled), shape(input))
  }))
})
