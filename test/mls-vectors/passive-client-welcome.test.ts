// RFC 9420 passive-client-welcome vectors: joins with various Welcome/tree/PSK shapes.
import { test } from 'node:test'
import { followGroup } from './passive-client.js'
import { runSuiteVectors } from './runner.js'
import { HEAVY_PROVIDERS } from './suites.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 passive-client-welcome vectors', async (t) => {
  await runSuiteVectors(t, 'passive-client-welcome', loadVectors('passive-client-welcome'), async (c, cs) => {
    await followGroup(c, cs)
  }, { providers: HEAVY_PROVIDERS })
})
