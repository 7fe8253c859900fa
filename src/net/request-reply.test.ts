import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { createMemoryLogger } from '../logger.js'
import { attachGrant, createInboundBudgets } from './inbound-budget.js'
import { NOT_AVAILABLE, REFUSAL_DELAY_MS, strangerRefusal } from './refuse-stream.js'
import { ask, askOnce, parseWith, serveRequest, STRANGER_REQUEST_BYTES, type ServeOptions } from './request-reply.js'
import type { Connection } from '@libp2p/interface'

const request = z.object({ n: z.number().int() }).strict()
const reply = parseWith(z.object({ twice: z.number() }).strict(), 'reply')

/** A stream pair with `serve` answering on one end; the other end is the asker's. */
async function serving(options: Partial<ServeOptions<z.infer<typeof request>>> = {}, standing?: 'member' | 'stranger'): Promise<{ asker: Awaited<ReturnType<typeof streamPair>>[0]; log: ReturnType<typeof createMemoryLogger>; served: Promise<void> }> {
  const [asker, server] = await streamPair()
  // The protocol host ties every inbound stream to its peer's grant; here the test decides the standing.
  const grant = standing === undefined ? null : createInboundBudgets().open('peer', standing)
  if (grant !== null) attachGrant(server, grant)
  const log = createMemoryLogger()
  const connection = { remotePeer: peerIdFromPrivateKey(await generateKeyPair('Ed25519')) } as unknown as Connection
  const served = serveRequest(server, connection, {
    log,
    name: 'test',
    maxRequestBytes: 1024,
    parse: parseWith(request, 'test request'),
    handle: (_from, req) => Promise.resolve([{ twice: req.n * 2 }]),
    ...options
  })
  return { asker, log, served }
}

test('a request gets its reply, checked by the asker', async () => {
  const { asker, served } = await serving()
  assert.deepEqual(await askOnce(asker, { n: 21 }, { maxReplyBytes: 1024, parse: reply }), { twice: 42 })
  await served
})

test('a refusal reaches the asker as the same coded error, and is logged by the server', async () => {
  const { asker, log, served } = await serving({ handle: () => Promise.reject(new EnclaveError('not-member', 'not in that workspace')) })
  await assert.rejects(askOnce(asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'not-member' && err.message === 'not in that workspace')
  await served
  assert.ok(log.lines.some((l) => l.msg === 'test request refused' && l.code === 'not-member'))
})

test('an uncoded failure is refused as internal, and a quiet code is logged at debug only', async () => {
  const a = await serving({ handle: () => Promise.reject(new Error('disk on fire')) })
  await assert.rejects(askOnce(a.asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'internal')
  await a.served
  const b = await serving({ quiet: ['unauthorized'], handle: () => Promise.reject(new EnclaveError('unauthorized', 'no')) })
  await assert.rejects(askOnce(b.asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'unauthorized')
  await b.served
  assert.deepEqual(b.log.lines.filter((l) => l.msg === 'test request refused').map((l) => l.level), ['debug'])
})

test('a malformed request is refused with bad-frame, an oversized one with too-large, before the handler runs', async () => {
  let handled = 0
  const count = (): Promise<unknown[]> => { handled++; return Promise.resolve([]) }
  const a = await serving({ handle: count })
  await assert.rejects(askOnce(a.asker, { n: 'one' }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'bad-frame')
  await a.served
  const b = await serving({ handle: count })
  await assert.rejects(askOnce(b.asker, { n: 1, pad: 'x'.repeat(4096) }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'too-large')
  await b.served
  assert.equal(handled, 0)
})

test('a reply that is not what was asked for is bad-frame at the asker', async () => {
  const { asker, served } = await serving({ handle: () => Promise.resolve([{ thrice: 3 }]) })
  await assert.rejects(askOnce(asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'bad-frame')
  await served
})

test('an exchange may go on both ways after the request (membership sync does)', async () => {
  const { asker, served } = await serving({
    handle: async (_from, req, exchange) => {
      await exchange.send([{ twice: req.n * 2 }])
      const more = z.object({ n: z.number() }).parse(await exchange.next())
      return [{ twice: more.n * 2 }]
    }
  })
  const answers = await ask(asker, { n: 1 }, { maxReplyBytes: 1024 }, async (exchange) => {
    const first = reply(await exchange.next())
    await exchange.send([{ n: 5 }])
    return [first, reply(await exchange.next())]
  })
  assert.deepEqual(answers, [{ twice: 2 }, { twice: 10 }])
  await served
})

test('a request shaped like a refusal is a malformed request, not the peer\'s refusal', async () => {
  const { asker, log, served } = await serving()
  await assert.rejects(askOnce(asker, { error: { code: 'internal', message: 'disk on fire' } }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'bad-frame')
  await served
  assert.deepEqual(log.lines.filter((l) => l.msg === 'test request refused').map((l) => [l.level, l.code]), [['info', 'bad-frame']])
})

const refusedAsStranger = (err: unknown): boolean => err instanceof EnclaveError && err.code === 'not-member' && err.message === NOT_AVAILABLE

test('a stranger gets the one refusal whatever the service threw, and no sooner than the refusal delay', async () => {
  for (const thrown of [new EnclaveError('unauthorized', 'this device issues no certificates there'), new EnclaveError('invite-invalid', 'unknown invite'), strangerRefusal(), new Error('disk on fire')]) {
    const started = Date.now()
    const { asker, served } = await serving({ handle: () => Promise.reject(thrown) }, 'stranger')
    await assert.rejects(askOnce(asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), refusedAsStranger, thrown.message)
    assert.ok(Date.now() - started >= REFUSAL_DELAY_MS)
    await served
  }
})

test('a member meets the stranger refusal only where a service chose it', async () => {
  const a = await serving({ handle: () => Promise.reject(strangerRefusal()) }, 'member')
  await assert.rejects(askOnce(a.asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), refusedAsStranger)
  await a.served
  const b = await serving({ handle: () => Promise.reject(new EnclaveError('unauthorized', 'no')) }, 'member')
  await assert.rejects(askOnce(b.asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'unauthorized')
  await b.served
})

test('refusals a protocol lists for strangers reach them as they are (a joiner holding the invite\'s secret)', async () => {
  const { asker, served } = await serving({ toStrangers: ['invite-invalid'], handle: () => Promise.reject(new EnclaveError('invite-invalid', 'the invite expired')) }, 'stranger')
  await assert.rejects(askOnce(asker, { n: 1 }, { maxReplyBytes: 1024, parse: reply }), (err: unknown) => err instanceof EnclaveError && err.code === 'invite-invalid' && err.message === 'the invite expired')
  await served
})

test('a stranger may send a few KiB; a member what the protocol allows, judged per asker', async () => {
  const pad = 'x'.repeat(STRANGER_REQUEST_BYTES)
  const a = await serving({ maxRequestBytes: 64 * 1024 }, 'stranger')
  await assert.rejects(askOnce(a.asker, { n: 1, pad }, { maxReplyBytes: 1024, parse: reply }), refusedAsStranger)
  await a.served
  const b = await serving({ maxRequestBytes: () => 64 * 1024, parse: () => ({ n: 0 }), handle: () => Promise.resolve([{ twice: 0 }]) }, 'member')
  assert.deepEqual(await askOnce(b.asker, { n: 1, pad }, { maxReplyBytes: 1024, parse: reply }), { twice: 0 })
  await b.served
})
