import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { parseUserId } from '../ids.js'
import { verifyCertificate } from '../identity/certificate.js'
import { inviteSecretHash, newInviteSecret, type InvitePayload } from '../identity/invite-link.js'
import { createMemoryLogger } from '../logger.js'
import { joinByInvite } from './join-client.js'
import { requestJoin, serveJoin, type JoinServerComponents } from './join-protocol.js'
import { chain, testDevice, testRegistry, testStreams, testWorkspace, wideLog, type TestDevice, type TestRegistry, type TestWorkspace } from './test-workspaces.js'
import type { OpBodyInput } from '../identity/membership-op.js'
import type { Stream } from '@libp2p/interface'

interface Setup { t: TestWorkspace; owner: TestRegistry; invite: InvitePayload; server: JoinServerComponents; serverLog: ReturnType<typeof createMemoryLogger> }

/** The owner's device with `members` members (each with a ~30 KiB picture inline) and an open invite. */
async function setup(members: number, packing?: JoinServerComponents['packing']): Promise<Setup> {
  const t = await testWorkspace()
  const people = await Promise.all(Array.from({ length: members }, () => testDevice()))
  const secret = newInviteSecret()
  const ops = await chain(t, [
    ...people.map((m): { by: TestDevice; body: OpBodyInput } => ({ by: t.owner, body: { type: 'add', userId: m.userId, device: m.id, role: 'member', profile: { name: 'M', avatar: `data:image/png;base64,${'C'.repeat(30_000)}` } } })),
    { by: t.owner, body: { type: 'invite', inviteId: 'inv-00000001', secretHash: inviteSecretHash(secret), role: 'member', expiresAt: Date.now() + 3600_000, approval: false } }
  ])
  const owner = await testRegistry(t, t.owner.userId, [t.genesis, ...ops])
  const invite: InvitePayload = { v: 1, ws: t.ws, name: 'Acme', fingerprint: '', addresses: ['/memory/owner'], inviteId: 'inv-00000001', secret }
  const serverLog = createMemoryLogger()
  const server: JoinServerComponents = { registry: owner.registry, deviceKey: t.owner.key, self: t.owner.id, log: serverLog, secretHashOf: (i) => i.secretHash, onChanged: () => undefined, ...(packing === undefined ? {} : { packing }) }
  return { t, owner, invite, server, serverLog }
}

function request(s: Setup, userId: string): Parameters<typeof requestJoin>[1] {
  return { ws: s.t.ws, inviteId: s.invite.inviteId, secret: s.invite.secret, userId, profile: { name: 'Newcomer' }, have: [], from: null }
}

const redeems = (s: Setup): number => s.owner.registry.get(s.t.ws)?.log.ordered().filter((op) => op.body.type === 'redeem').length ?? 0

async function ask(s: Setup, device: TestDevice, userId: string): ReturnType<typeof requestJoin> {
  const streams = await testStreams(device)
  void serveJoin(streams.server, streams.connection, s.server)
  return requestJoin(streams.asker, request(s, userId), () => Promise.resolve())
}

test('a device whose join reply was lost asks again: same user, a fresh certificate, the invite not burned', async () => {
  const s = await setup(2)
  try {
    const joiner = await testDevice()
    const first = await ask(s, joiner, 'first-attempt-id')
    assert.equal(first.status, 'active')
    assert.equal(redeems(s), 1)
    // The reply never arrived; the app tries again, with a new user id of its own.
    const again = await ask(s, joiner, 'second-attempt-id')
    assert.deepEqual([again.status, again.userId], ['active', 'first-attempt-id'])
    assert.ok(again.certificate !== null)
    const state = s.owner.registry.get(s.t.ws)?.log.state()
    assert.ok(state !== undefined)
    const cert = await verifyCertificate(again.certificate, s.t.ws, state, Date.now())
    assert.deepEqual([cert.device, cert.userId], [joiner.id, parseUserId('first-attempt-id')])
    assert.equal(redeems(s), 1)
    assert.ok(s.serverLog.lines.some((l) => l.msg === 'join answered again' && l.device === joiner.id))

    // Any other device still finds the invite used.
    await assert.rejects(ask(s, await testDevice(), 'third-device-id'), (err: unknown) => err instanceof EnclaveError && err.code === 'invite-invalid' && /already used/.test(err.message))
  } finally {
    await s.owner.close()
  }
})

test('a join reply bounded by bytes, or cut off, resumes from the heads the joiner holds', async () => {
  const s = await setup(40, { budgetBytes: 400 * 1024, frameBytes: 100 * 1024 })
  try {
    const joiner = await testDevice()
    const replies: number[] = []
    const open = async (): Promise<Stream> => {
      const streams = await testStreams(joiner)
      let sent = 0
      const send = streams.server.send.bind(streams.server)
      const cutNow = replies.length === 1
      streams.server.send = (data) => {
        // The second exchange dies after its first write (~300 KiB: three frames of ops).
        if (cutNow && sent > 0) { streams.server.abort(new Error('link lost')); return false }
        sent += data.byteLength
        return send(data)
      }
      const index = replies.push(0) - 1
      streams.server.addEventListener('close', () => { replies[index] = sent })
      void serveJoin(streams.server, streams.connection, s.server)
      return streams.asker
    }
    const result = await joinByInvite({ open, log: createMemoryLogger() }, s.invite, parseUserId('newcomer-0001'), 'Newcomer')
    const log = s.owner.registry.get(s.t.ws)?.log
    assert.equal(result.ops.length, log?.size)
    assert.equal(result.userId, 'newcomer-0001')
    assert.equal(redeems(s), 1)
    const total = log?.ordered().reduce((n, op) => n + op.signed.bytes.byteLength, 0) ?? 0
    assert.ok(replies.length >= 4, `${replies.length} exchanges`)
    assert.ok((replies[1] ?? 0) > 0 && (replies[1] ?? 0) < (replies[0] ?? 0), `the second reply was cut: ${replies.join(', ')}`)
    // What arrived before the cut was kept: nothing was sent twice, the replies add up to the log.
    const sum = replies.reduce((a, b) => a + b, 0)
    assert.ok(sum < total + 32 * 1024, `${sum} bytes sent for a log of ${total}`)
  } finally {
    await s.owner.close()
  }
})

test('a join through a layer wider than the heads a request may name resumes by cursor', async () => {
  const t = await testWorkspace()
  const { ops } = await wideLog(t, 300, 600)
  const secret = newInviteSecret()
  const invite = await t.sign(t.owner, { type: 'invite', inviteId: 'inv-00000002', secretHash: inviteSecretHash(secret), role: 'member', expiresAt: Date.now() + 3600_000, approval: false }, ops.slice(-64).map((op) => op.id).sort())
  const owner = await testRegistry(t, t.owner.userId, [...ops, invite])
  try {
    const joiner = await testDevice()
    const server: JoinServerComponents = { registry: owner.registry, deviceKey: t.owner.key, self: t.owner.id, log: createMemoryLogger(), secretHashOf: (i) => i.secretHash, onChanged: () => undefined, packing: { budgetBytes: 32 * 1024 } }
    let exchanges = 0
    const open = async (): Promise<Stream> => {
      exchanges++
      const streams = await testStreams(joiner)
      void serveJoin(streams.server, streams.connection, server)
      return streams.asker
    }
    const result = await joinByInvite({ open, log: createMemoryLogger() }, { v: 1, ws: t.ws, name: 'Acme', fingerprint: '', addresses: ['/memory/owner'], inviteId: 'inv-00000002', secret }, parseUserId('newcomer-0002'), 'Newcomer')
    assert.equal(result.ops.length, owner.registry.get(t.ws)?.log.size)
    const total = result.ops.reduce((n, op) => n + op.signed.bytes.byteLength + op.signed.sig.byteLength, 0)
    assert.ok(exchanges <= Math.ceil(total / (32 * 1024)) + 2, `${exchanges} exchanges for ${total} bytes`)
  } finally {
    await owner.close()
  }
})

test('two devices redeeming one invite at once: one joins, the other is told it was used, and the log holds one redeem', async () => {
  for (let round = 0; round < 5; round++) {
    const s = await setup(0)
    try {
      const joiners = await Promise.all([testDevice(), testDevice()])
      const streams = await Promise.all(joiners.map((j) => testStreams(j)))
      for (const st of streams) void serveJoin(st.server, st.connection, s.server)
      const results = await Promise.allSettled(streams.map((st, i) => requestJoin(st.asker, request(s, `joiner-000${i}`), () => Promise.resolve())))
      const joined = results.flatMap((r, i) => r.status === 'fulfilled' ? [i] : [])
      assert.equal(joined.length, 1, `round ${round}: ${results.map((r) => r.status).join(', ')}`)
      const lost = results.find((r) => r.status === 'rejected')
      assert.ok(lost?.status === 'rejected' && lost.reason instanceof EnclaveError && lost.reason.code === 'invite-invalid' && /already used/.test(lost.reason.message))
      // Before: both appended a redeem on the same heads, and the log picked one by op id.
      assert.equal(redeems(s), 1)
      const state = s.owner.registry.get(s.t.ws)?.log.state()
      assert.deepEqual([...state?.devices.keys() ?? []].filter((d) => joiners.some((j) => j.id === d)), [joiners[joined[0] ?? -1]?.id])
    } finally {
      await s.owner.close()
    }
  }
})

test('an invite is redeemed only at its maker\'s devices: another admin tells the joiner so and writes nothing', async () => {
  const s = await setup(0)
  const admin = await testDevice('admin-0001')
  const log = s.owner.registry.get(s.t.ws)?.log
  assert.ok(log !== undefined)
  const [promoted] = await chain(s.t, [{ by: s.t.owner, body: { type: 'add', userId: admin.userId, device: admin.id, role: 'admin', profile: { name: 'Ada' } } }], log.ordered().at(-1))
  assert.ok(promoted !== undefined)
  const other = await testRegistry(s.t, admin.userId, [...log.ordered(), promoted])
  try {
    const server: JoinServerComponents = { registry: other.registry, deviceKey: admin.key, self: admin.id, log: createMemoryLogger(), secretHashOf: (i) => i.secretHash, onChanged: () => undefined }
    const streams = await testStreams(await testDevice())
    void serveJoin(streams.server, streams.connection, server)
    await assert.rejects(requestJoin(streams.asker, request(s, 'joiner-0001'), () => Promise.resolve()), (err: unknown) => err instanceof EnclaveError && err.code === 'invite-invalid')
    assert.equal(other.registry.get(s.t.ws)?.log.ordered().filter((op) => op.body.type === 'redeem').length, 0)
  } finally {
    await Promise.all([s.owner.close(), other.close()])
  }
})

test('a join whose first streams fail (a connection closing as it was used) tries again after a growing pause and joins', async () => {
  const s = await setup(1)
  try {
    const joiner = await testDevice()
    let tries = 0
    const open = async (): Promise<Stream> => {
      if (++tries <= 3) throw new Error('The connection muxer is "closed" and not "open"')
      const streams = await testStreams(joiner)
      void serveJoin(streams.server, streams.connection, s.server)
      return streams.asker
    }
    const pauses: number[] = []
    const result = await joinByInvite({ open, log: createMemoryLogger(), backoffMs: (n) => { pauses.push(n); return 0 } }, s.invite, parseUserId('newcomer-0003'), 'Newcomer')
    assert.equal(result.status, 'active')
    assert.deepEqual(pauses, [1, 2, 3])
    // One more failure than that is the end: the last error, coded.
    tries = -10
    await assert.rejects(joinByInvite({ open, log: createMemoryLogger(), backoffMs: () => 0 }, s.invite, parseUserId('newcomer-0004'), 'Newcomer'), (err: unknown) => err instanceof EnclaveError && err.code === 'peer-unreachable' && /muxer/.test(err.message))
    assert.equal(tries, -6, 'four tries with one address')
  } finally {
    await s.owner.close()
  }
})
