// RFC 9420 tree-operations vectors: apply one Add/Update/Remove to a ratchet tree and
// compare the serialized result and tree hashes before and after.
import { test } from 'node:test'
import type { Proposal, RatchetTree } from 'ts-mls'
import { decodeProposal } from 'ts-mls/proposal.js'
import { addLeafNode, decodeRatchetTree, encodeRatchetTree, removeLeafNode, updateLeafNode } from 'ts-mls/ratchetTree.js'
import { treeHashRoot } from 'ts-mls/treeHash.js'
import { toLeafIndex } from 'ts-mls/treemath.js'
import type { VectorCase } from './runner.js'
import { runSuiteVectors } from './runner.js'
import { loadVectors } from './vectors.js'

function apply(c: VectorCase, tree: RatchetTree, p: Proposal, sender: number): RatchetTree {
  switch (p.proposalType) {
    case 'add':
      return addLeafNode(tree, p.add.keyPackage.leafNode)[0]
    case 'update':
      return updateLeafNode(tree, p.update.leafNode, toLeafIndex(sender))
    case 'remove':
      return removeLeafNode(tree, toLeafIndex(p.remove.removed))
    default:
      // The format promises only these three; anything else is a broken fixture.
      throw new Error(c.msg(`unexpected proposal type ${String(p.proposalType)}`))
  }
}

test('RFC 9420 tree-operations vectors', async (t) => {
  await runSuiteVectors(t, 'tree-operations', loadVectors('tree-operations'), async (c, cs) => {
    const [before] = c.some(decodeRatchetTree(c.v.hex('tree_before'), 0), 'tree_before decodes')
    c.bytes(await treeHashRoot(before, cs.hash), c.v.hex('tree_hash_before'), 'tree_hash_before')

    const [proposal] = c.some(decodeProposal(c.v.hex('proposal'), 0), 'proposal decodes')
    const after = apply(c, before, proposal, c.v.num('proposal_sender'))
    c.bytes(encodeRatchetTree(after), c.v.hex('tree_after'), `tree_after (${String(proposal.proposalType)})`)
    c.bytes(await treeHashRoot(after, cs.hash), c.v.hex('tree_hash_after'), 'tree_hash_after')
  })
})
