import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requestSchemas } from './schemas.js'

const PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const WS = `w${'0'.repeat(32)}`

test('ids are parsed at the API edge: well-formed ones pass, anything else is refused before a handler', () => {
  assert.equal(requestSchemas['chat.markRead'].safeParse({ conversationId: `ch:${'a'.repeat(32)}` }).success, true)
  for (const conversationId of ['ch:short', `xx:${'a'.repeat(32)}`, `ch:${'A'.repeat(32)}`, '']) {
    assert.equal(requestSchemas['chat.markRead'].safeParse({ conversationId }).success, false, conversationId)
  }
  assert.equal(requestSchemas['conversations.open'].safeParse({ peerId: PEER }).success, true)
  assert.equal(requestSchemas['conversations.open'].safeParse({ peerId: 'not-a-peer' }).success, false)
  assert.equal(requestSchemas['workspaces.removeMember'].safeParse({ workspaceId: WS, userId: 'ab' }).success, false, 'user ids have 8–64 characters')
  assert.equal(requestSchemas['docs.open'].safeParse({ docId: 'doc:1' }).success, false)
})

test('a channel cannot be created as the workspace\'s own, nor with keys the contract does not name', () => {
  const base = { workspaceId: WS, name: 'eng' }
  assert.equal(requestSchemas['channels.create'].safeParse({ ...base, visibility: 'open', members: [PEER] }).success, true)
  assert.equal(requestSchemas['channels.create'].safeParse({ ...base, visibility: 'workspace' }).success, false)
  assert.equal(requestSchemas['channels.create'].safeParse({ ...base, owner: PEER }).success, false)
})
