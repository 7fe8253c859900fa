// RFC 9420 tree-math vectors: node counts, root and left/right/parent/sibling per node.
import { test } from 'node:test'
import { left, nodeWidth, parent, right, root, sibling, toNodeIndex } from 'ts-mls/treemath.js'
import { InternalError } from 'ts-mls/mlsError.js'
import type { VectorCase } from './runner.js'
import { runPlainVectors } from './runner.js'
import { loadVectors } from './vectors.js'

// ts-mls signals "no such node" (a leaf's child, the root's parent) by throwing InternalError;
// the vectors write it as null. Anything else thrown is a genuine failure.
function orNull(f: () => number): number | null {
  try {
    return f()
  } catch (e) {
    if (e instanceof InternalError) return null
    throw e
  }
}

function checkRelation(c: VectorCase, name: string, f: (i: number) => number): void {
  for (const [i, expected] of c.v.list(name).entries()) {
    const want = expected.isNull() ? null : expected.number()
    c.equal(orNull(() => f(i)), want, `${name}[${i}]`)
  }
}

test('RFC 9420 tree-math vectors', async (t) => {
  await runPlainVectors(t, 'tree-math', loadVectors('tree-math'), (c) => {
    const leaves = c.v.num('n_leaves')
    c.equal(nodeWidth(leaves), c.v.num('n_nodes'), 'n_nodes')
    c.equal(root(leaves), c.v.num('root'), 'root')
    checkRelation(c, 'left', (i) => left(toNodeIndex(i)))
    checkRelation(c, 'right', (i) => right(toNodeIndex(i)))
    checkRelation(c, 'parent', (i) => parent(toNodeIndex(i), leaves))
    checkRelation(c, 'sibling', (i) => sibling(toNodeIndex(i), leaves))
  })
})
