import assert from 'node:assert/strict'
import { test } from 'node:test'
import { messageLink } from './message-link.js'
import type { MessageId } from '../../src/api/contract.js'

test('a message link is written as the core reads it (the same example as src/api/links.test.ts)', () => {
  const id = 'dm:0123456789abcdef0123456789abcdef/12D3KooWQ7dFtSMHsdBYi7oTvT5t1QysByY2tpdkDEcnrdqShTzK/42' as MessageId
  assert.equal(messageLink(id), 'enclave://message/dm%3A0123456789abcdef0123456789abcdef%2F12D3KooWQ7dFtSMHsdBYi7oTvT5t1QysByY2tpdkDEcnrdqShTzK%2F42')
})
