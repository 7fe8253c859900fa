import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { messageLink, parseEnclaveLink } from './links.js'
import type { MessageId } from './contract.js'

const peer = '12D3KooWQ7dFtSMHsdBYi7oTvT5t1QysByY2tpdkDEcnrdqShTzK'

test('reads conversation and peer links', () => {
  assert.deepEqual(parseEnclaveLink('enclave://conversation/dm:0123456789abcdef0123456789abcdef'), { kind: 'conversation', conversationId: 'dm:0123456789abcdef0123456789abcdef' })
  assert.deepEqual(parseEnclaveLink(`enclave://peer/${peer}`), { kind: 'peer', peerId: peer })
})

test('a message link carries its id encoded and reads back the same', () => {
  const id = `dm:0123456789abcdef0123456789abcdef/${peer}/42` as MessageId
  assert.equal(messageLink(id), `enclave://message/dm%3A0123456789abcdef0123456789abcdef%2F${peer}%2F42`)
  assert.deepEqual(parseEnclaveLink(messageLink(id)), { kind: 'message', messageId: id })
  for (const url of [`enclave://message/${id}`, 'enclave://message/dm%3Axyz%2Fp%2F1', `enclave://message/${encodeURIComponent(`${id.slice(0, -2)}0`)}`]) {
    assert.throws(() => parseEnclaveLink(url), (e) => e instanceof EnclaveError && e.code === 'bad-request', url)
  }
})

test('refuses other schemes, unknown kinds and malformed ids with bad-request', () => {
  for (const url of ['https://example.com', 'enclave://conversation/../../etc', 'enclave://peer/notapeer', 'enclave://admin/x', `enclave://peer/${peer}/extra`, 'javascript:alert(1)', 'garbage']) {
    assert.throws(() => parseEnclaveLink(url), (e) => e instanceof EnclaveError && e.code === 'bad-request', url)
  }
})
