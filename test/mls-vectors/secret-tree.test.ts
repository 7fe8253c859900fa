// RFC 9420 secret-tree vectors: sender-data key/nonce and the per-leaf handshake and
// application ratchets at the listed generations.
import { test } from 'node:test'
import type { CiphersuiteImpl } from 'ts-mls'
import { defaultKeyRetentionConfig } from 'ts-mls'
import type { GenerationSecret } from 'ts-mls/secretTree.js'
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from 'ts-mls/secretTree.js'
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js'
import { leafToNodeIndex, toLeafIndex } from 'ts-mls/treemath.js'
import type { VectorCase } from './runner.js'
import { runSuiteVectors } from './runner.js'
import type { Json } from './vectors.js'
import { loadVectors } from './vectors.js'

// Walks one ratchet forward through the vector's (ascending) generations, checking key and
// nonce at each; continuing from the previous state also exercises the incremental ratchet.
async function checkRatchet(
  c: VectorCase,
  cs: CiphersuiteImpl,
  start: GenerationSecret,
  steps: readonly Json[],
  kind: 'handshake' | 'application',
  leaf: number
): Promise<void> {
  let state = start
  for (const step of steps) {
    const generation = step.num('generation')
    ;[state] = await ratchetUntil(state, generation, defaultKeyRetentionConfig, cs.kdf)
    const what = `leaf ${leaf} ${kind} generation ${generation}`
    c.equal(state.generation, generation, `${what}: generation`)
    c.bytes(await deriveKey(state.secret, generation, cs), step.hex(`${kind}_key`), `${what}: key`)
    c.bytes(await deriveNonce(state.secret, generation, cs), step.hex(`${kind}_nonce`), `${what}: nonce`)
  }
}

test('RFC 9420 secret-tree vectors', async (t) => {
  await runSuiteVectors(t, 'secret-tree', loadVectors('secret-tree'), async (c, cs) => {
    const sd = c.v.get('sender_data')
    const [secret, ciphertext] = [sd.hex('sender_data_secret'), sd.hex('ciphertext')]
    c.bytes(await expandSenderDataKey(cs, secret, ciphertext), sd.hex('key'), 'sender_data key')
    c.bytes(await expandSenderDataNonce(cs, secret, ciphertext), sd.hex('nonce'), 'sender_data nonce')

    const leaves = c.v.list('leaves')
    const tree = await createSecretTree(leaves.length, c.v.hex('encryption_secret'), cs.kdf)
    for (const [leaf, steps] of leaves.entries()) {
      const node = c.some(tree[leafToNodeIndex(toLeafIndex(leaf))], `secret tree node for leaf ${leaf}`)
      await checkRatchet(c, cs, node.handshake, steps.array(), 'handshake', leaf)
      await checkRatchet(c, cs, node.application, steps.array(), 'application', leaf)
    }
  })
})
