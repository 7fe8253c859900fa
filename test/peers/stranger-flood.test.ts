import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { CHAT_PROTOCOL } from '../../src/chat/chat-frames.js'
import { GROUP_PROTOCOL } from '../../src/chat/group-protocol.js'
import { HISTORY_PROTOCOL } from '../../src/chat/history-transfer.js'
import { DOCS_PROTOCOL } from '../../src/docs/doc-protocol.js'
import { EnclaveError } from '../../src/errors.js'
import { decodeInviteLink } from '../../src/identity/invite-link.js'
import { workspaceChannelId } from '../../src/identity/workspace-channel.js'
import { createNetNode, MAX_UNKNOWN_PER_ADDRESS, type NetNode } from '../../src/net/libp2p-node.js'
import { NOT_AVAILABLE, REFUSAL_DELAY_MS } from '../../src/net/refuse-stream.js'
import { ask } from '../../src/net/request-reply.js'
import { CERTIFICATE_PROTOCOL } from '../../src/org/certificate-renewal.js'
import { LINK_PROTOCOL } from '../../src/org/device-link.js'
import { JOIN_PROTOCOL, requestJoin } from '../../src/org/join-protocol.js'
import { MEMBERSHIP_PROTOCOL } from '../../src/org/membership-sync.js'
import { PROFILE_PROTOCOL } from '../../src/org/profiles.js'
import { flood, measured, rssMb, type FloodPlan } from '../helpers/flood.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { WorkspaceView } from '../../src/api/contract.js'

/*
 * Strangers (fresh libp2p ids made in this process, in no workspace) flood a workspace admin
 * running in its own process: every Enclave protocol, many streams each, length prefixes up to
 * 48 MiB with bodies that never end, partial frames within a stranger's limits held open, and
 * three times as many throwaway ids as one address may bring. The victim's RSS is read from
 * /proc; a member's messages before, during and after are the positive witness.
 */

const MiB = 1024 * 1024
/** Throwaway ids, all from 127.0.0.1. */
const IDS = 3 * MAX_UNKNOWN_PER_ADDRESS
/** Per id: protocol, streams, declared frame length, body bytes sent (never the whole frame). */
const PLAN: FloodPlan = [
  [MEMBERSHIP_PROTOCOL, 4, MiB, MiB - 1],
  [MEMBERSHIP_PROTOCOL, 2, 8 * 1024, 8 * 1024 - 1],
  [JOIN_PROTOCOL, 2, 4096, 4095],
  [CERTIFICATE_PROTOCOL, 2, 1024, 1023],
  [CHAT_PROTOCOL, 4, MiB, MiB - 1],
  [DOCS_PROTOCOL, 4, 48 * MiB, 2 * MiB],
  [GROUP_PROTOCOL, 2, 256 * 1024, 256 * 1024 - 1],
  [PROFILE_PROTOCOL, 2, 1024, 1023]
]
/** Most the victim's RSS may grow while flooded (issue 13's target for a hostile member: 64 MB). */
const FLOOD_BOUND_MB = 48
/** A guest's flood: doc streams declaring whole boards, chat streams with frames that never end. */
const GUEST_PLAN: FloodPlan = [
  [DOCS_PROTOCOL, 24, 48 * MiB, 8 * MiB],
  [CHAT_PROTOCOL, 16, MiB, MiB - 1]
]
const GUEST_BOUND_MB = 64
/** How far above its idle RSS the victim must be back once the strangers are gone. */
const RETURN_BOUND_MB = 24

let victim: NodeProcess
let bob: NodeProcess
let workspace: WorkspaceView
const strangers: NetNode[] = []

before(async () => {
  ;[victim, bob] = await startAll([startNode(await makeDataDir('victim')), startNode(await makeDataDir('bob'))])
  workspace = await victim.api.call('workspaces.create', { name: 'Acme' })
  const invite = await victim.api.call('workspaces.invite', { workspaceId: workspace.id })
  await bob.api.call('workspaces.join', { link: invite.link })
})

after(async () => {
  await Promise.all(strangers.map(async (s) => { await Promise.resolve(s.stop()).catch(() => undefined) }))
  await Promise.all([victim.stop(), bob.stop()])
  await Promise.all([removeDataDir(victim.dataDir), removeDataDir(bob.dataDir)])
})

async function stranger(): Promise<NetNode> {
  const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  strangers.push(node)
  return node
}

async function delivered(text: string): Promise<void> {
  const sent = await bob.api.call('chat.send', { peerId: victim.peerId, text })
  await waitFor(`bob's "${text}" to be delivered`, async () => (await bob.api.call('chat.history', { peerId: victim.peerId, limit: 5 })).find((m) => m.id === sent.id)?.state === 'delivered', { timeoutMs: 30_000 })
}

const connectedToVictim = (s: NetNode): boolean => s.getConnections().some((c) => c.remotePeer.toString() === victim.peerId && c.status === 'open')

test('a stranger flood leaves the victim\'s RSS bounded, gives it back, and a member\'s messages still arrive', { timeout: 90_000 }, async () => {
  await delivered('before the flood')
  let held = 0
  const { idle, peak } = await measured(victim.child.pid, async () => {
    const ids = await Promise.all(Array.from({ length: IDS }, stranger))
    const attack = Promise.all(ids.map((id) => flood(id, victim.address, PLAN)))
    await delivered('during the flood')
    await attack
    held = ids.filter(connectedToVictim).length
    await delivered('right after the flood')
  })
  // Strangers that proved nothing are let go after their grace period, without being told why.
  await waitFor('the victim to hang up on every stranger', () => !strangers.some(connectedToVictim), { timeoutMs: 20_000, intervalMs: 200 })
  await Promise.all(strangers.map(async (s) => { await s.stop() }))
  let settled = await rssMb(victim.child.pid)
  const returned = await waitFor('the victim to give the memory back', async () => {
    settled = await rssMb(victim.child.pid)
    return settled <= idle + RETURN_BOUND_MB
  }, { timeoutMs: 20_000, intervalMs: 250 }).catch(() => false)
  process.stderr.write(`strangers: victim RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (+${(peak - idle).toFixed(0)}), after ${settled.toFixed(0)} MB; ${held} of ${IDS} strangers held a connection\n`)
  await delivered('after the strangers left')
  assert.ok(peak - idle <= FLOOD_BOUND_MB, `RSS grew by ${(peak - idle).toFixed(0)} MB under the flood (bound ${FLOOD_BOUND_MB} MB)`)
  assert.ok(returned, `RSS stayed at ${settled.toFixed(0)} MB after the flood (idle ${idle.toFixed(0)} MB)`)
  assert.ok(held <= MAX_UNKNOWN_PER_ADDRESS, `${held} strangers from one address held a connection`)
  // Nothing of the strangers is remembered: they would be redialled at every start.
  const listed = new Set<string>((await victim.api.call('peers.list', {})).map((p) => p.peerId))
  assert.deepEqual(strangers.map((s) => s.peerId.toString()).filter((id) => listed.has(id)), [])
})

test('a guest declaring whole boards on 24 doc streams and never-ending chat frames costs the victim no more than its budget', { timeout: 90_000 }, async () => {
  const guest = await stranger()
  const invite = decodeInviteLink((await victim.api.call('workspaces.invite', { workspaceId: workspace.id, role: 'guest' })).link)
  const joined = await requestJoin(await guest.dialProtocol(multiaddr(victim.address), JOIN_PROTOCOL), { ws: invite.ws, inviteId: invite.inviteId, secret: invite.secret, userId: randomBytes(12).toString('hex'), profile: { name: 'Guest' }, have: [], from: null }, () => Promise.resolve())
  assert.equal(joined.status, 'active')
  await delivered('before the guest\'s flood')
  const { idle, peak } = await measured(victim.child.pid, async () => {
    const attack = flood(guest, victim.address, GUEST_PLAN)
    await delivered('during the guest\'s flood')
    await attack
  })
  const refusedLarge = (): number => victim.logs.filter((l) => l.code === 'too-large' && l.peer === guest.peerId.toString()).length
  // No doc of the guest's here: a whole board is refused from its length prefix.
  const tooLarge = await waitFor('every whole board refused', () => refusedLarge() >= 24 && refusedLarge(), { timeoutMs: 10_000 }).catch(() => refusedLarge())
  process.stderr.write(`guest: victim RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (+${(peak - idle).toFixed(0)}); ${tooLarge} streams refused too-large\n`)
  await delivered('after the guest\'s flood')
  assert.ok(peak - idle <= GUEST_BOUND_MB, `RSS grew by ${(peak - idle).toFixed(0)} MB under the guest's flood (bound ${GUEST_BOUND_MB} MB)`)
  assert.ok(tooLarge >= 24, `${tooLarge} streams refused too-large`)
})

test('every protocol refuses a stranger the same way, whether or not the victim is in the workspace named or an admin there', async () => {
  const node = await stranger()
  const target = multiaddr(victim.address)
  const real = decodeInviteLink((await victim.api.call('workspaces.invite', { workspaceId: workspace.id })).link)
  const elsewhere = `w${randomBytes(16).toString('hex')}`
  const profile = { name: 'Mallory' }
  const userId = randomBytes(12).toString('hex')
  // A device link code is shown: a stranger without it is refused like everywhere else.
  await victim.api.call('devices.linkCode', {})
  const asks: Array<[string, string, unknown]> = [
    ['link, a code shown, a wrong proof', LINK_PROTOCOL, { proof: randomBytes(32), name: 'Mallory' }],
    ['link, a malformed request', LINK_PROTOCOL, { proof: randomBytes(3), name: 'Mallory' }],
    ['join, a workspace the victim is not in', JOIN_PROTOCOL, { ws: elsewhere, inviteId: real.inviteId, secret: real.secret, userId, profile, have: [], from: null }],
    ['join, its workspace, an unknown invite', JOIN_PROTOCOL, { ws: workspace.id, inviteId: 'i-unknown', secret: randomBytes(32), userId, profile, have: [], from: null }],
    ['join, its workspace, a real invite with a wrong secret', JOIN_PROTOCOL, { ws: workspace.id, inviteId: real.inviteId, secret: randomBytes(32), userId, profile, have: [], from: null }],
    ['a certificate in its workspace, where it is admin', CERTIFICATE_PROTOCOL, { ws: workspace.id }],
    ['a certificate elsewhere', CERTIFICATE_PROTOCOL, { ws: elsewhere }],
    ['membership hello naming its workspace', MEMBERSHIP_PROTOCOL, { t: 'hello', workspaces: [{ ws: workspace.id, heads: [], cert: null, from: null }] }],
    ['membership hello naming another', MEMBERSHIP_PROTOCOL, { t: 'hello', workspaces: [{ ws: elsewhere, heads: [], cert: null, from: null }] }],
    ['chat', CHAT_PROTOCOL, { t: 'msg' }],
    ['docs', DOCS_PROTOCOL, { t: 'index' }],
    ['group', GROUP_PROTOCOL, { t: 'browse', ws: workspace.id }],
    ['profile', PROFILE_PROTOCOL, { v: 1, name: 'Mallory' }],
    ['history of its workspace channel', HISTORY_PROTOCOL, { conv: workspaceChannelId(workspace.id), limit: 10 }]
  ]
  for (const [what, protocol, request] of asks) {
    const started = Date.now()
    const stream = await node.dialProtocol(target, protocol, { signal: AbortSignal.timeout(5_000) })
    const refused = await ask(stream, request, { maxReplyBytes: 64 * 1024 }, (exchange) => exchange.next()).then(() => undefined, (err: unknown) => err)
    assert.ok(refused instanceof EnclaveError, `${what}: refused with a coded frame, not a reset (${String(refused)})`)
    assert.deepEqual({ code: refused.code, message: refused.message }, { code: 'not-member', message: NOT_AVAILABLE }, what)
    assert.ok(Date.now() - started >= REFUSAL_DELAY_MS, `${what}: answered no sooner than every other refusal`)
  }
  // The real invite still works for whoever holds it: refusing strangers burned nothing.
  const invite = (await victim.api.call('workspaces.invites', { workspaceId: workspace.id })).find((i) => i.inviteId === real.inviteId)
  assert.deepEqual([invite?.redeemed, invite?.revoked], [false, false])
})
