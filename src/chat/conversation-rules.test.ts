import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConversationId, parsePeerId, parseWorkspaceId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { createConversationRules } from './conversation-rules.js'
import type { ChannelInfo } from './envelope.js'
import type { GroupStates } from './group-states.js'
import type { MembershipPolicy } from './membership-policy.js'
import type { ConversationRecord, MessageLog } from './message-log.js'

const SELF = parsePeerId('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
const CREATOR = parsePeerId('12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq')
const OTHER_ADMIN = parsePeerId('12D3KooWCpJpoJwgGrT7YqJ1YzEoAmomnwC3P9sPyzZRyvjLc2VT')
const ACME = parseWorkspaceId(`w${'a'.repeat(32)}`)
const RIVAL = parseWorkspaceId(`w${'b'.repeat(32)}`)
const CHANNEL = parseConversationId(`ch:${'c'.repeat(32)}`)

/** OTHER_ADMIN is an admin of RIVAL only, a workspace this device is also in. */
const policy: MembershipPolicy = {
  isActiveDevice: () => true,
  isAdminDevice: (ws, device) => ws === RIVAL && device === OTHER_ADMIN,
  isGuestDevice: () => false,
  isOwnerDevice: () => false,
  workspaceName: () => null,
  activeDevices: () => [],
  devicesOfPeople: () => [],
  personOf: () => null,
  devicesOfPerson: () => [],
  people: () => [],
  sharedWith: () => [ACME, RIVAL],
  recallMinutes: (ws) => (ws === RIVAL ? 2 : null)
}
// applyMeta reads neither the message log nor the group states.
const rules = createConversationRules({ self: SELF, policy, messages: {} as MessageLog, groups: {} as GroupStates, log: createMemoryLogger() })

function channel(): ConversationRecord {
  return {
    id: CHANNEL, kind: 'channel', peerId: null, workspaceId: ACME, name: 'eng', topic: '', visibility: 'private', archived: false, creator: CREATOR, metaHlc: 1,
    status: 'active', members: [SELF, CREATOR], pendingMembers: [], leaving: [], requests: [], committer: CREATOR, nextSeq: 1, seen: {}, waiting: 0, heldKeys: [], lastKey: null, unread: 0
  }
}

const meta = (author: typeof SELF, change: Partial<ChannelInfo>) => ({
  type: 'meta' as const, conv: CHANNEL, author, seq: 5, hlc: 10,
  channel: { name: 'eng', topic: '', visibility: 'private' as const, archived: false, ws: ACME, creator: CREATOR, ...change }
})

test('an admin of another workspace cannot archive or take over a channel by naming their own workspace', () => {
  const record = channel()
  rules.applyMeta(record, meta(OTHER_ADMIN, { ws: RIVAL, archived: true, creator: OTHER_ADMIN }))
  assert.equal(record.archived, false)
  assert.equal(record.workspaceId, ACME)
  assert.equal(record.creator, CREATOR)
  rules.applyMeta(record, meta(OTHER_ADMIN, { archived: true }))
  assert.equal(record.archived, false, 'and in the channel\'s own workspace they are no admin')
})

test('the creator archives; any member renames', () => {
  const record = channel()
  rules.applyMeta(record, meta(SELF, { name: 'engineering' }))
  assert.equal(record.name, 'engineering')
  rules.applyMeta(record, { ...meta(CREATOR, { archived: true }), hlc: 11 })
  assert.equal(record.archived, true)
})

test('a recall time limit: a channel follows its workspace; a DM the shortest of the workspaces the two share', () => {
  assert.deepEqual(rules.viewRules(channel()), { canManage: false, recallMinutes: null })
  assert.equal(rules.recallMinutes({ ...channel(), workspaceId: RIVAL }), 2)
  const dm: ConversationRecord = { ...channel(), kind: 'dm', workspaceId: null, peerId: CREATOR, creator: null }
  assert.equal(rules.recallMinutes(dm), 2)
})
