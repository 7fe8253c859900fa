// RFC 9420 tree-validation vectors: per-node resolutions and tree hashes, parent-hash
// validity of the whole tree, and every leaf signature under the group id.
import { test } from 'node:test'
import { verifyLeafNodeSignature } from 'ts-mls/leafNode.js'
import { verifyParentHashes } from 'ts-mls/parentHash.js'
import { decodeRatchetTree, resolution } from 'ts-mls/ratchetTree.js'
import { treeHash } from 'ts-mls/treeHash.js'
import { nodeToLeafIndex, toNodeIndex } from 'ts-mls/treemath.js'
import { runSuiteVectors } from './runner.js'
import { HEAVY_PROVIDERS } from './suites.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 tree-validation vectors', async (t) => {
  await runSuiteVectors(t, 'tree-validation', loadVectors('tree-validation'), async (c, cs) => {
    const [tree] = c.some(decodeRatchetTree(c.v.hex('tree'), 0), 'tree decodes')

    for (const [i, want] of c.v.list('resolutions').entries()) {
      c.equal(resolution(tree, toNodeIndex(i)), want.array().map((n) => n.number()), `resolution of node ${i}`)
    }
    for (const [i, want] of c.v.list('tree_hashes').entries()) {
      c.bytes(await treeHash(tree, toNodeIndex(i), cs.hash), want.bytes(), `tree hash of node ${i}`)
    }

    c.ok(await verifyParentHashes(tree, cs.hash), 'parent hashes verify')

    const groupId = c.v.hex('group_id')
    for (const [i, node] of tree.entries()) {
      if (node?.nodeType !== 'leaf') continue
      const leafIndex = nodeToLeafIndex(toNodeIndex(i))
      c.ok(await verifyLeafNodeSignature(node.leaf, groupId, leafIndex, cs.signature), `leaf ${leafIndex} signature`)
    }
  }, { providers: HEAVY_PROVIDERS })
})
