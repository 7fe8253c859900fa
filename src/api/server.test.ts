import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryLogger } from '../logger.js'
import { createPortPair, type ApiPort } from './port.js'
import { createApiServer, type Handlers } from './server.js'
import type { ServerFrame } from './contract.js'

const notUsed = (): Promise<never> => Promise.reject(new Error('not used in this test'))
const handlers: Handlers = {
  'node.info': () => Promise.resolve({ peerId: 'p' as never, addresses: [], protocols: [], version: 't' }),
  'net.health': notUsed,
  'net.addRelay': notUsed,
  'peers.list': () => Promise.resolve([]),
  'peers.dial': notUsed,
  'conversations.list': () => Promise.resolve([]),
  'conversations.open': notUsed,
  'conversations.mute': notUsed,
  'chat.send': (input) => Promise.resolve({ text: input.text } as never),
  'chat.history': notUsed,
  'chat.react': notUsed,
  'chat.edit': notUsed,
  'chat.recall': notUsed,
  'chat.pin': notUsed,
  'chat.pins': notUsed,
  'chat.save': notUsed,
  'chat.saved': notUsed,
  'chat.mentions': notUsed,
  'chat.typing': notUsed,
  'chat.thread': notUsed,
  'chat.retry': notUsed,
  'chat.messageInfo': notUsed,
  'chat.markRead': () => Promise.reject(new Error('disk on fire')),
  'drafts.list': notUsed,
  'drafts.set': notUsed,
  'files.send': notUsed,
  'files.forward': notUsed,
  'files.startUpload': notUsed,
  'files.uploadChunk': notUsed,
  'files.finishUpload': notUsed,
  'files.cancelUpload': notUsed,
  'files.downloadLink': notUsed,
  'files.get': notUsed,
  'files.readChunk': notUsed,
  'files.usage': notUsed,
  'files.remove': notUsed,
  'shell.saveFile': notUsed,
  'workspaces.setFilePolicy': notUsed,
  'workspaces.setMessagePolicy': notUsed,
  'workspaces.setBackupPolicy': notUsed,
  'files.list': notUsed,
  'files.download': notUsed,
  'files.pause': notUsed,
  'files.save': notUsed,
  'channels.create': notUsed,
  'channels.add': notUsed,
  'channels.remove': notUsed,
  'channels.leave': notUsed,
  'channels.update': notUsed,
  'channels.browse': notUsed,
  'channels.join': notUsed,
  'profile.get': notUsed,
  'profile.set': notUsed,
  'shell.openLink': notUsed,
  'workspaces.list': notUsed,
  'workspaces.create': notUsed,
  'workspaces.invite': notUsed,
  'workspaces.inviteCsv': notUsed,
  'workspaces.join': notUsed,
  'workspaces.members': notUsed,
  'workspaces.removeMember': notUsed,
  'workspaces.leave': notUsed,
  'workspaces.readInvite': notUsed,
  'workspaces.setRole': notUsed,
  'workspaces.approve': notUsed,
  'workspaces.invites': notUsed,
  'workspaces.revokeInvite': notUsed,
  'workspaces.updateProfile': notUsed,
  'workspaces.departments': notUsed,
  'workspaces.saveDepartment': notUsed,
  'workspaces.deleteDepartment': notUsed,
  'workspaces.assign': notUsed,
  'workspaces.setRelays': notUsed,
  'workspaces.setMemberRelay': notUsed,
  'directory.search': notUsed,
  'search.query': notUsed,
  'search.recent': notUsed,
  'search.forgetRecent': notUsed,
  'backup.status': notUsed,
  'backup.create': notUsed,
  'backup.verify': notUsed,
  'backup.setSchedule': notUsed,
  'devices.linkCode': notUsed,
  'devices.readLinkCode': notUsed,
  'devices.link': notUsed,
  'devices.confirmLink': notUsed,
  'devices.remove': notUsed,
  'backup.restore': notUsed,
  'docs.list': notUsed,
  'docs.create': notUsed,
  'docs.rename': notUsed,
  'docs.open': notUsed,
  'docs.update': notUsed,
  'docs.awareness': notUsed,
  'calls.list': notUsed,
  'calls.start': notUsed,
  'calls.join': notUsed,
  'calls.decline': notUsed,
  'calls.leave': notUsed,
  'calls.media': notUsed,
  'calls.signal': notUsed,
  'calls.key': notUsed
}

function client(port: ApiPort): (frame: unknown) => Promise<ServerFrame> {
  const waiting: Array<(f: ServerFrame) => void> = []
  port.onMessage((f) => { waiting.shift()?.(f as ServerFrame) })
  return (frame) => new Promise((resolve) => { waiting.push(resolve); port.send(frame) })
}

function setup(): { call: (frame: unknown) => Promise<ServerFrame>; port: ApiPort; server: ReturnType<typeof createApiServer>; log: ReturnType<typeof createMemoryLogger> } {
  const log = createMemoryLogger()
  const server = createApiServer(handlers, log)
  const [ours, theirs] = createPortPair()
  server.connect(theirs)
  return { call: client(ours), port: ours, server, log }
}

test('answers a valid call with its value', async () => {
  const { call } = setup()
  assert.deepEqual(await call({ type: 'call', id: 1, method: 'chat.send', params: { peerId: '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA', text: 'hi' } }), { type: 'result', id: 1, ok: true, value: { text: 'hi' } })
})

test('an unknown method gets unknown-method and the port keeps working', async () => {
  const { call } = setup()
  const res = await call({ type: 'call', id: 2, method: 'chat.explode', params: {} })
  assert.equal(res.type === 'result' && !res.ok && res.error.code, 'unknown-method')
  const ok = await call({ type: 'call', id: 3, method: 'peers.list' })
  assert.deepEqual(ok, { type: 'result', id: 3, ok: true, value: [] })
})

test('malformed params get bad-request, never reach the handler', async () => {
  const { call } = setup()
  for (const params of [{ peerId: 5, text: 'x' }, { text: 'no target' }, { peerId: 'x', text: 'y', admin: true }, 'string', [1]]) {
    const res = await call({ type: 'call', id: 4, method: 'chat.send', params })
    assert.equal(res.type === 'result' && !res.ok && res.error.code, 'bad-request', JSON.stringify(params))
  }
})

test('a frame that is not a call gets bad-request', async () => {
  const { call } = setup()
  for (const frame of [null, 42, { type: 'call' }, { type: 'call', id: 'one', method: 'peers.list' }, { type: 'other', id: 1 }]) {
    const res = await call(frame)
    assert.equal(res.type === 'result' && !res.ok && res.error.code, 'bad-request', JSON.stringify(frame))
  }
})

test('a handler failure becomes internal and is logged', async () => {
  const { call, log } = setup()
  const res = await call({ type: 'call', id: 5, method: 'chat.markRead', params: { conversationId: `dm:${'0'.repeat(32)}` } })
  assert.equal(res.type === 'result' && !res.ok && res.error.code, 'internal')
  assert.ok(log.lines.some((l) => l.msg === 'API call failed' && l.method === 'chat.markRead'))
})

test('events reach every connected port, and stop at a closed one', async () => {
  const { server, port } = setup()
  const [second, secondServerSide] = createPortPair()
  server.connect(secondServerSide)
  const got: unknown[] = []
  port.onMessage((f) => got.push(f))
  second.onMessage((f) => got.push(f))
  server.emit('peers.changed', { peerId: 'p' as never, displayName: null, connected: true, presence: 'online', addresses: [], lastSeen: null, path: 'direct', via: null })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(got.length, 2)
  second.close()
  assert.equal(server.clients, 1)
})
