import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ApiCallError, createApiClient, toErrorCode } from './api-client.js'
import { createPortPair, type ApiPort } from './port.js'
import { createApiServer, type Handlers } from './server.js'
import type { ErrorCode, LinkTarget, PeerIdString, ProfileView } from './contract.js'

const me = '12D3KooWme' as PeerIdString
const link: LinkTarget = { kind: 'peer', peerId: me }

/** Lets port deliveries and the client's promise reactions run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * The client's end of an in-memory port pair, and the test playing the core on the other end:
 * what the client sent, frames to deliver, closing from the core's side.
 */
function corePort(): { transport: ApiPort; sent: unknown[]; deliver: (frame: unknown) => Promise<void>; closeFromCore: () => void; readonly closed: boolean } {
  const [transport, core] = createPortPair()
  const sent: unknown[] = []
  let closed = false
  core.onMessage((frame) => sent.push(frame))
  core.onClose(() => { closed = true })
  return {
    transport,
    sent,
    deliver: async (frame) => {
      core.send(frame)
      await settle()
    },
    closeFromCore: () => { core.close() },
    get closed () { return closed }
  }
}

function rejectsWith(code: ErrorCode, message?: RegExp): (err: unknown) => boolean {
  return (err) => err instanceof ApiCallError && err.code === code && (message === undefined || message.test(err.message))
}

test('a call sends one frame and resolves with its result', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  const profile: ProfileView = { peerId: me, displayName: 'Ada', presence: 'online', quietHours: null }

  const answer = client.call('profile.set', { displayName: 'Ada' })
  await settle()
  assert.deepEqual(fake.sent, [{ type: 'call', id: 1, method: 'profile.set', params: { displayName: 'Ada' } }])
  await fake.deliver({ type: 'result', id: 1, ok: true, value: profile })
  assert.deepEqual(await answer, profile)
})

test('an error result rejects with its code and message; unknown or missing codes become internal', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  const failed = Promise.all([
    assert.rejects(client.call('node.info', {}), rejectsWith('not-found', /^no such thing$/)),
    assert.rejects(client.call('node.info', {}), rejectsWith('internal', /from a newer core/)),
    assert.rejects(client.call('node.info', {}), rejectsWith('internal', /malformed/))
  ])
  await fake.deliver({ type: 'result', id: 1, ok: false, error: { code: 'not-found', message: 'no such thing' } })
  await fake.deliver({ type: 'result', id: 2, ok: false, error: { code: 'brand-new-code', message: 'from a newer core' } })
  await fake.deliver({ type: 'result', id: 3, ok: false, error: 'not an object' })
  await failed
})

test('toErrorCode keeps known codes and maps anything else to internal', () => {
  assert.equal(toErrorCode('store-locked'), 'store-locked')
  for (const odd of ['ENOENT', undefined, null, 42, {}]) assert.equal(toErrorCode(odd), 'internal')
})

test('malformed frames and results for unknown calls are ignored; the client stays usable', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  const seen: unknown[] = []
  client.onAny((name, payload) => seen.push([name, payload]))
  const answer = client.call('node.info', {})

  for (const junk of [null, undefined, 'text', 42, [], {}, { type: 'result' }, { type: 'result', id: '1', ok: true }, { type: 'result', id: 1 },
    { type: 'result', id: 1, ok: 'yes' }, { type: 'event' }, { type: 'event', name: 7 }, { type: 'other', id: 1, ok: true }, { type: 'result', id: 99, ok: true, value: 1 }]) {
    await fake.deliver(junk)
  }
  await fake.deliver({ type: 'result', id: 1, ok: true, value: 'fine' })
  assert.equal(await answer, 'fine')
  assert.deepEqual(seen, [])
})

test('callRaw sends untyped params, {} when none', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  const nope = assert.rejects(client.callRaw('chat.nope', { x: 1 }), rejectsWith('unknown-method'))
  const peers = client.callRaw('peers.list', undefined)
  await settle()
  assert.deepEqual(fake.sent, [{ type: 'call', id: 1, method: 'chat.nope', params: { x: 1 } }, { type: 'call', id: 2, method: 'peers.list', params: {} }])
  await fake.deliver({ type: 'result', id: 2, ok: true, value: [] })
  await fake.deliver({ type: 'result', id: 1, ok: false, error: { code: 'unknown-method', message: 'chat.nope' } })
  assert.deepEqual(await peers, [])
  await nope
})

test('params the transport cannot encode reject with bad-request; the client stays usable', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  await assert.rejects(client.callRaw('node.info', { f: () => 1 }), rejectsWith('bad-request', /could not be cloned/))
  const answer = client.call('node.info', {})
  await settle()
  assert.deepEqual(fake.sent, [{ type: 'call', id: 2, method: 'node.info', params: {} }])
  await fake.deliver({ type: 'result', id: 2, ok: true, value: 'fine' })
  assert.equal(await answer, 'fine')
})

test('events reach the listeners of their name and onAny until they unsubscribe', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  const links: LinkTarget[] = []
  const all: string[] = []
  const off = client.on('shell.linkOpened', (target) => links.push(target))
  const offAny = client.onAny((name) => all.push(name))

  await fake.deliver({ type: 'event', name: 'shell.linkOpened', payload: link })
  await fake.deliver({ type: 'event', name: 'profile.changed', payload: { peerId: me, displayName: null, presence: 'online', quietHours: null } })
  off()
  offAny()
  await fake.deliver({ type: 'event', name: 'shell.linkOpened', payload: link })

  assert.deepEqual(links, [link])
  assert.deepEqual(all, ['shell.linkOpened', 'profile.changed'])
})

test('when the core closes the transport, waiting calls fail with node-not-running, onClose fires once, later calls fail at once', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  let closes = 0
  client.onClose(() => { closes++ })
  const waiting = client.call('node.info', {})
  await settle()

  fake.closeFromCore()
  await assert.rejects(waiting, rejectsWith('node-not-running'))
  await assert.rejects(client.call('node.info', {}), rejectsWith('node-not-running'))
  assert.equal(fake.sent.length, 1)
  client.close()
  assert.equal(closes, 1)
})

test('close fails waiting calls, closes the transport and tells onClose listeners once', async () => {
  const fake = corePort()
  const client = createApiClient(fake.transport)
  let closes = 0
  const offClose = client.onClose(() => { closes++ })
  const unheard = client.onClose(() => { assert.fail('unsubscribed') })
  unheard()
  const waiting = client.call('node.info', {})

  client.close()
  assert.ok(fake.closed)
  await assert.rejects(waiting, rejectsWith('node-not-running'))
  await assert.rejects(client.callRaw('node.info', {}), rejectsWith('node-not-running'))
  client.close()
  assert.equal(closes, 1)
  offClose()
})

test('without a transport calls fail with node-not-running (Electron main before the core starts)', async () => {
  await assert.rejects(createApiClient().call('node.info', {}), rejectsWith('node-not-running'))
})

test('attach replaces the transport: subscriptions survive, calls in flight fail, the old one is closed and unheard', async () => {
  const client = createApiClient()
  const links: LinkTarget[] = []
  let closes = 0
  client.on('shell.linkOpened', (target) => links.push(target))
  client.onClose(() => { closes++ })

  // Like a WebSocket in its closing handshake, the first transport still delivers after close().
  const first = corePort()
  let firstClosed = false
  client.attach({ ...first.transport, close: () => { firstClosed = true } })
  await first.deliver({ type: 'event', name: 'shell.linkOpened', payload: link })
  const inFlight = client.call('node.info', {})

  const second = corePort()
  client.attach(second.transport)
  assert.ok(firstClosed, 'the old transport is closed')
  await assert.rejects(inFlight, rejectsWith('node-not-running'))
  await first.deliver({ type: 'event', name: 'shell.linkOpened', payload: link })
  await first.deliver({ type: 'result', id: 1, ok: true, value: 'from the old core' })
  first.closeFromCore()
  await second.deliver({ type: 'event', name: 'shell.linkOpened', payload: link })
  assert.equal(closes, 0, 'a replaced transport is no lost connection')

  const answer = client.call('node.info', {})
  await settle()
  assert.deepEqual(second.sent, [{ type: 'call', id: 2, method: 'node.info', params: {} }])
  await second.deliver({ type: 'result', id: 2, ok: true, value: 'from the new core' })
  assert.equal(await answer, 'from the new core')
  assert.deepEqual(links, [link, link])

  // After a crash (the transport closes) and a restart, the same subscriptions hear the new core.
  second.closeFromCore()
  const third = corePort()
  client.attach(third.transport)
  await third.deliver({ type: 'event', name: 'shell.linkOpened', payload: link })
  assert.equal(links.length, 3)
  assert.equal(closes, 1)
})

test('against the real API server over a port pair: values, coded errors and events', async () => {
  const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent }
  const handlers: Partial<Handlers> = { 'profile.set': ({ displayName }) => Promise.resolve({ peerId: me, displayName: displayName ?? null, presence: 'online', quietHours: null } satisfies ProfileView) }
  const server = createApiServer(handlers as Handlers, silent)
  const [clientEnd, serverEnd] = createPortPair()
  server.connect(serverEnd)
  const client = createApiClient(clientEnd)
  const links: LinkTarget[] = []
  client.on('shell.linkOpened', (target) => links.push(target))

  assert.deepEqual(await client.call('profile.set', { displayName: 'Ada' }), { peerId: me, displayName: 'Ada', presence: 'online', quietHours: null })
  await assert.rejects(client.call('profile.set', { displayName: 'x'.repeat(1000) }), rejectsWith('bad-request'))
  await assert.rejects(client.call('peers.list', {}), rejectsWith('internal'))
  await assert.rejects(client.callRaw('chat.nope', {}), rejectsWith('unknown-method'))
  server.emit('shell.linkOpened', link)
  await settle()
  assert.deepEqual(links, [link])

  const waiting = client.call('node.info', {})
  serverEnd.close()
  await assert.rejects(waiting, rejectsWith('node-not-running'))
})
