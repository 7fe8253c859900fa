import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { createMemoryLogger } from '../logger.js'
import { fuzzRuns } from '../fuzz-runs.js'
import { mutatedValue } from '../fuzz-mutations.js'
import { outcomeOfAsync } from '../fuzz-outcome.js'
import { createPortPair } from './port.js'
import { requestSchemas } from './schemas.js'
import { createApiServer, type Handlers } from './server.js'
import type { Method, ServerFrame } from './contract.js'

const PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const WS = `w${'0'.repeat(32)}`

test('ids are parsed at the API edge: well-formed ones pass, anything else is refused before a handler', () => {
  assert.equal(requestSchemas['chat.markRead'].safeParse({ conversationId: `ch:${'a'.repeat(32)}` }).success, true)
  for (const conversationId of ['ch:short', `xx:${'a'.repeat(32)}`, `ch:${'A'.repeat(32)}`, '']) {
    assert.equal(requestSchemas['chat.markRead'].safeParse({ conversationId }).success, false, conversationId)
  }
  assert.equal(requestSchemas['conversations.open'].safeParse({ peerId: PEER }).success, true)
  assert.equal(requestSchemas['conversations.open'].safeParse({ peerId: 'not-a-peer' }).success, false)
  assert.equal(requestSchemas['conversations.mute'].safeParse({ conversationId: `ch:${'a'.repeat(32)}`, level: 'nothing' }).success, true)
  assert.equal(requestSchemas['conversations.mute'].safeParse({ conversationId: `ch:${'a'.repeat(32)}`, level: 'loud' }).success, false)
  assert.equal(requestSchemas['workspaces.removeMember'].safeParse({ workspaceId: WS, userId: 'ab' }).success, false, 'user ids have 8–64 characters')
  assert.equal(requestSchemas['docs.open'].safeParse({ docId: 'doc:1' }).success, false)
})

test('a channel cannot be created as the workspace\'s own, nor with keys the contract does not name', () => {
  const base = { workspaceId: WS, name: 'eng' }
  assert.equal(requestSchemas['channels.create'].safeParse({ ...base, visibility: 'open', members: [PEER] }).success, true)
  assert.equal(requestSchemas['channels.create'].safeParse({ ...base, visibility: 'workspace' }).success, false)
  assert.equal(requestSchemas['channels.create'].safeParse({ ...base, owner: PEER }).success, false)
})

const CONV = `ch:${'a'.repeat(32)}`
const DOC = `doc:${'b'.repeat(32)}`
const CALL = 'c'.repeat(32)
const USER = 'user-0001'
const DEPARTMENT = 'dept-0001'

/** A valid call of every method, to edit. */
const valid: Record<Method, Record<string, unknown>> = {
  'node.info': {},
  'net.health': {},
  'net.addRelay': { address: `/ip4/10.0.0.1/tcp/4001/p2p/${PEER}` },
  'peers.list': {},
  'peers.dial': { address: `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}` },
  'conversations.list': {},
  'conversations.open': { peerId: PEER },
  'conversations.mute': { conversationId: CONV, muted: true },
  'chat.send': { conversationId: CONV, text: 'hello', replyTo: `${CONV}/${PEER}/2` },
  'chat.react': { messageId: `${CONV}/${PEER}/3`, emoji: '👍🏽', on: true },
  'chat.edit': { messageId: `${CONV}/${PEER}/3`, text: 'hello again' },
  'chat.recall': { messageId: `${CONV}/${PEER}/3` },
  'chat.pin': { messageId: `${CONV}/${PEER}/3`, on: false },
  'chat.pins': { conversationId: CONV },
  'chat.save': { messageId: `${CONV}/${PEER}/3`, saved: true },
  'chat.saved': { limit: 20 },
  'chat.mentions': { limit: 20 },
  'chat.typing': { conversationId: CONV },
  'chat.thread': { messageId: `${CONV}/${PEER}/3` },
  'chat.history': { peerId: PEER, before: 'x', limit: 50 },
  'chat.retry': { messageId: `${CONV}/${PEER}/3` },
  'chat.messageInfo': { messageId: `${CONV}/${PEER}/3` },
  'chat.markRead': { conversationId: CONV },
  'drafts.list': {},
  'drafts.set': { conversationId: CONV, text: 'half a thought' },
  'files.send': { conversationId: CONV, path: '/home/ana/plan.pdf', caption: 'the plan' },
  'files.forward': { messageId: `${CONV}/${PEER}/3`, peerId: PEER, caption: 'Forwarded from Ana' },
  'files.startUpload': { name: 'screenshot.png', size: 2_000_000, mime: 'image/png' },
  'files.uploadChunk': { uploadId: 'ab'.repeat(16), index: 0, data: 'aGVsbG8=' },
  'files.finishUpload': { uploadId: 'ab'.repeat(16), conversationId: CONV, caption: 'look', preview: { width: 1280, height: 720, thumb: 'data:image/webp;base64,UklGRg==', durationMs: 4000 } },
  'files.cancelUpload': { uploadId: 'ab'.repeat(16) },
  'files.downloadLink': { messageId: `${CONV}/${PEER}/3` },
  'files.get': { messageId: `${CONV}/${PEER}/3` },
  'workspaces.setFilePolicy': { workspaceId: WS, maxBytes: 100_000_000, blocked: ['exe', 'bat'], guests: false },
  'workspaces.setMessagePolicy': { workspaceId: WS, recallMinutes: 2 },
  'workspaces.setBackupPolicy': { workspaceId: WS, backups: 'required' },
  'shell.saveFile': { messageId: `${CONV}/${PEER}/3` },
  'files.usage': {},
  'files.remove': { messageId: `${CONV}/${PEER}/3` },
  'files.readChunk': { messageId: `${CONV}/${PEER}/3`, index: 0 },
  'files.list': { conversationId: CONV },
  'files.download': { messageId: `${CONV}/${PEER}/3` },
  'files.pause': { messageId: `${CONV}/${PEER}/3` },
  'files.save': { messageId: `${CONV}/${PEER}/3`, path: '/tmp/plan.pdf' },
  'channels.create': { workspaceId: WS, name: 'eng', topic: 'builds', visibility: 'open', members: [PEER] },
  'channels.add': { conversationId: CONV, members: [PEER] },
  'channels.remove': { conversationId: CONV, peerId: PEER },
  'channels.leave': { conversationId: CONV },
  'channels.update': { conversationId: CONV, name: 'eng', topic: 'releases', archived: false },
  'channels.browse': { workspaceId: WS },
  'channels.join': { conversationId: CONV },
  'profile.get': {},
  'profile.set': { displayName: 'Alice', presence: 'away' },
  'shell.openLink': { url: 'https://example.com/' },
  'workspaces.list': {},
  'workspaces.create': { name: 'Acme' },
  'workspaces.invite': { workspaceId: WS, role: 'member', expiresInMs: 3_600_000, approval: false, uses: 20, label: 'Sales team' },
  'workspaces.inviteCsv': { workspaceId: WS, csv: 'name,email\nBob,bob@example.com\n' },
  'workspaces.join': { link: 'enclave://join/abc' },
  'workspaces.members': { workspaceId: WS },
  'workspaces.removeMember': { workspaceId: WS, userId: USER },
  'workspaces.leave': { workspaceId: WS },
  'workspaces.readInvite': { link: 'enclave://join/x' },
  'workspaces.setRole': { workspaceId: WS, userId: USER, role: 'admin' },
  'workspaces.approve': { workspaceId: WS, userId: USER },
  'workspaces.invites': { workspaceId: WS },
  'workspaces.revokeInvite': { workspaceId: WS, inviteId: 'inv-12345678' },
  'workspaces.updateProfile': { workspaceId: WS, userId: USER, profile: { name: 'Alice', title: 'CTO', phone: '+1 555', email: 'a@example.com', avatar: 'data:image/png;base64,AAAA' } },
  'workspaces.departments': { workspaceId: WS },
  'workspaces.saveDepartment': { workspaceId: WS, departmentId: DEPARTMENT, parentId: null, name: 'Engineering', order: 1 },
  'workspaces.deleteDepartment': { workspaceId: WS, departmentId: DEPARTMENT },
  'workspaces.assign': { workspaceId: WS, userId: USER, departments: [DEPARTMENT] },
  'workspaces.setRelays': { workspaceId: WS, relays: [`/ip4/10.0.0.1/tcp/4001/p2p/${PEER}`] },
  'workspaces.setMemberRelay': { workspaceId: WS, enabled: false },
  'directory.search': { workspaceId: WS, query: 'ali', limit: 10 },
  'search.query': { query: '项目 meet', conversationId: CONV, from: [PEER], after: 0, before: 1, has: ['file', 'link'], mentionsMe: true, limit: 20, cursor: '1099511627776', kinds: ['messages', 'people'], remember: true },
  'search.recent': {},
  'search.forgetRecent': {},
  'backup.status': {},
  'backup.create': { folder: '/media/usb', passphrase: 'correct horse battery' },
  'backup.verify': { file: '/media/usb/enclave-backup-20261206-120000.enclave', passphrase: 'correct horse battery' },
  'backup.restore': { file: '/media/usb/enclave-backup-20261206-120000.enclave', passphrase: 'correct horse battery' },
  'backup.setSchedule': { schedule: { folder: '/media/usb', everyHours: 24, keep: 7, passphrase: 'correct horse battery' } },
  'devices.linkCode': {},
  'devices.readLinkCode': { code: 'enclave://link/abc' },
  'devices.link': { code: 'enclave://link/abc' },
  'devices.confirmLink': { requestId: '0123456789abcdef', accept: true },
  'devices.remove': { device: PEER },
  'docs.list': { conversationId: CONV },
  'docs.create': { kind: 'board', title: 'Plan', conversationId: CONV },
  'docs.rename': { docId: DOC, title: 'Plan B' },
  'docs.open': { docId: DOC },
  'docs.update': { docId: DOC, update: 'AAEC' },
  'docs.awareness': { docId: DOC, update: 'AAEC' },
  'calls.list': {},
  'calls.start': { conversationId: CONV, video: true },
  'calls.join': { callId: CALL },
  'calls.decline': { callId: CALL },
  'calls.leave': { callId: CALL },
  'calls.media': { callId: CALL, muted: true, camera: false },
  'calls.signal': { callId: CALL, to: PEER, signal: { kind: 'ice', candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host', mid: '0', index: 0 } },
  'calls.key': { callId: CALL }
}
const methods = Object.keys(valid) as Method[]

/** Every handler hands back what it was given: what passed the edge. */
const echo = Object.fromEntries(methods.map((m) => [m, (input: unknown) => Promise.resolve(input)])) as unknown as Handlers

test('a valid call of every method reaches its handler unchanged', async () => {
  const server = createApiServer(echo, createMemoryLogger())
  for (const method of methods) assert.deepEqual(await server.call(method, valid[method]), valid[method], method)
})

test('any params, and edited valid params, reach the handler as the schema reads them or are refused with bad-request', async () => {
  const server = createApiServer(echo, createMemoryLogger())
  const params = fc.constantFrom(...methods).chain((method) => fc.tuple(fc.constant(method), fc.oneof(fc.anything(), mutatedValue(valid[method]))))
  await fc.assert(fc.asyncProperty(params, async ([method, input]) => {
    const got = await outcomeOfAsync(() => server.call(method, input), ['bad-request'])
    if (got.ok) assert.deepEqual(got.value, requestSchemas[method].parse(input ?? {}))
  }), { numRuns: fuzzRuns(3_000) })
})

test('any frame on an API port gets one result frame, never an internal failure', async () => {
  const log = createMemoryLogger()
  const server = createApiServer(echo, log)
  const [ours, theirs] = createPortPair()
  server.connect(theirs)
  const waiting: Array<(f: ServerFrame) => void> = []
  ours.onMessage((f) => { waiting.shift()?.(f as ServerFrame) })
  const call = (frame: unknown): Promise<ServerFrame> => new Promise((resolve) => { waiting.push(resolve); ours.send(frame) })
  const frames = fc.oneof(
    fc.anything(),
    fc.constantFrom(...methods).chain((method) => mutatedValue({ type: 'call', id: 1, method, params: valid[method] }))
  )
  await fc.assert(fc.asyncProperty(frames, async (frame) => {
    let sent: unknown
    try { sent = structuredClone(frame) } catch { return }
    const res = await call(sent)
    assert.equal(res.type, 'result')
    if (!res.ok) assert.ok(['bad-request', 'unknown-method'].includes(res.error.code), res.error.code)
  }), { numRuns: fuzzRuns(2_000) })
  assert.deepEqual(log.lines.filter((l) => l.level === 'error'), [])
})

test('net.addRelay takes one full relay address, trimmed; a relayed, partial, over-long or extra-keyed one is refused', () => {
  const address = `/ip4/192.168.1.9/tcp/4001/p2p/${PEER}`
  assert.deepEqual(requestSchemas['net.addRelay'].parse({ address: `  ${address}\n` }), { address })
  for (const bad of [
    { address: '/ip4/192.168.1.9/tcp/4001' },
    { address: `${address}/p2p-circuit/p2p/${PEER}` },
    { address: `/ip4/192.168.1.9/tcp/4001/p2p/${PEER}/x` },
    { address: `/dns4/${'a'.repeat(300)}/tcp/4001/p2p/${PEER}` },
    { address: 'relay.example.com' },
    { address: '' },
    { address: 7 },
    { address, note: 'x' },
    {}
  ]) assert.equal(requestSchemas['net.addRelay'].safeParse(bad).success, false, JSON.stringify(bad).slice(0, 80))
})

test('drafts.set takes a conversation id and text up to the message limit; empty text is allowed (it clears the draft)', () => {
  assert.equal(requestSchemas['drafts.set'].safeParse({ conversationId: CONV, text: '' }).success, true)
  assert.equal(requestSchemas['drafts.set'].safeParse({ conversationId: CONV, text: '草'.repeat(16_000) }).success, true)
  for (const bad of [
    { conversationId: CONV, text: 'x'.repeat(16_001) },
    { conversationId: 'ch:nope', text: 'hi' },
    { conversationId: CONV },
    { conversationId: CONV, text: 1 },
    { conversationId: CONV, text: 'hi', at: 1 }
  ]) assert.equal(requestSchemas['drafts.set'].safeParse(bad).success, false, JSON.stringify(bad).slice(0, 80))
  assert.equal(requestSchemas['drafts.list'].safeParse({ all: true }).success, false)
})
