// RFC 9420 passive-client-handling-commit vectors: one join, then commits of every
// proposal kind, by value and by reference, as public and private messages.
import { test } from 'node:test'
import { followGroup } from './passive-client.js'
import { runSuiteVectors } from './runner.js'
import { HEAVY_PROVIDERS } from './suites.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 passive-client-handling-commit vectors', async (t) => {
  const vectors = loadVectors('passive-client-handling-commit')
  await runSuiteVectors(t, 'passive-client-handling-commit', vectors, async (c, cs) => {
    await followGroup(c, cs)
  }, { providers: HEAVY_PROVIDERS })
})
