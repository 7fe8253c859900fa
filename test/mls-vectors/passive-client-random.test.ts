// RFC 9420 passive-client-random vectors: one long scenario (200 epochs of random adds,
// removes, updates and commits, suite 1). Its epochs form a chain, so the default run plays a
// fixed prefix, which is still a complete check of every epoch it reaches;
// ENCLAVE_FULL_VECTORS=1 plays all of them.
import { test } from 'node:test'
import { followGroup } from './passive-client.js'
import { runSuiteVectors } from './runner.js'
import { FULL_VECTORS, HEAVY_PROVIDERS } from './suites.js'
import { loadVectors } from './vectors.js'

const QUICK_EPOCHS = 50

test('RFC 9420 passive-client-random vectors', async (t) => {
  const vectors = loadVectors('passive-client-random')
  const total = Math.max(...vectors.map((v) => v.list('epochs').length))
  const limit = FULL_VECTORS ? Infinity : QUICK_EPOCHS
  const note = FULL_VECTORS
    ? `all ${total} epochs`
    : `first ${Math.min(QUICK_EPOCHS, total)} of ${total} epochs (ENCLAVE_FULL_VECTORS=1 for all)`
  await runSuiteVectors(t, 'passive-client-random', vectors, async (c, cs) => {
    await followGroup(c, cs, limit)
  }, { providers: HEAVY_PROVIDERS, note })
})
