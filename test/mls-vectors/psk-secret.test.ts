// RFC 9420 psk_secret vectors: the chained psk_secret over a list of external PSKs
// (the empty list must give the all-zero secret).
import { test } from 'node:test'
import type { PreSharedKeyID } from 'ts-mls'
import { computePskSecret } from 'ts-mls/presharedkey.js'
import { runSuiteVectors } from './runner.js'
import { loadVectors } from './vectors.js'

test('RFC 9420 psk_secret vectors', async (t) => {
  await runSuiteVectors(t, 'psk_secret', loadVectors('psk_secret'), async (c, cs) => {
    const psks = c.v.list('psks').map((p): [PreSharedKeyID, Uint8Array] => [
      { psktype: 'external', pskId: p.hex('psk_id'), pskNonce: p.hex('psk_nonce') },
      p.hex('psk')
    ])
    c.bytes(await computePskSecret(psks, cs), c.v.hex('psk_secret'), `psk_secret over ${psks.length} PSKs`)
  })
})
