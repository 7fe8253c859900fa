import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { parseEnclaveLink } from './links.js'

const peer = '12D3KooWQ7dFtSMHsdBYi7oTvT5t1QysByY2tpdkDEcnrdqShTzK'

test('reads conversation and peer links', () => {
  assert.deepEqual(parseEnclaveLink('enclave://conversation/dm:0123456789abcdef0123456789abcdef'), { kind: 'conversation', conversationId: 'dm:0123456789abcdef0123456789abcdef' })
  assert.deepEqual(parseEnclaveLink(`enclave://peer/${peer}`), { kind: 'peer', peerId: peer })
})

test('refuses other schemes, unknown kinds and malformed ids with bad-request', () => {
  for (const url of ['https://example.com', 'enclave://conversation/../../etc', 'enclave://peer/notapeer', 'enclave://admin/x', `enclave://peer/${peer}/extra`, 'javascript:alert(1)', 'garbage']) {
    assert.throws(() => parseEnclaveLink(url), (e) => e instanceof EnclaveError && e.code === 'bad-request', url)
  }
})
