import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { DOCS_PROTOCOL } from '../../src/docs/doc-protocol.js'
import { EnclaveError } from '../../src/errors.js'
import { canonicalDecode } from '../../src/identity/canonical.js'
import { decodeInviteLink, inviteSecretHash } from '../../src/identity/invite-link.js'
import { createLogger } from '../../src/logger.js'
import { createNetNode, type NetNode } from '../../src/net/libp2p-node.js'
import { NOT_AVAILABLE } from '../../src/net/refuse-stream.js'
import { ask } from '../../src/net/request-reply.js'
import { JOIN_PROTOCOL, requestJoin } from '../../src/org/join-protocol.js'
import { SEALED_PROTOCOL } from '../../src/org/sealed-protocol.js'
import { loadDataKey } from '../../src/store/store-key.js'
import { openStore } from '../../src/store/store.js'
import { makeDataDir, meshConnect, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { SignedOp } from '../../src/identity/membership-op.js'
import type { ConversationId, MemberView, WorkspaceId } from '../../src/api/contract.js'

// Three devices in separate processes (owner, member, guest) and a scripted guest built on libp2p
// and the project's own codecs, which asks for what the guest's own node never would.
let owner: NodeProcess
let member: NodeProcess
let guest: NodeProcess
let raw: NetNode | undefined
let workspaceId: WorkspaceId
let general: ConversationId
const PHONE = '+86 138 0013 8000'
const EMAIL = 'wang.li@acme.example'
const TITLE = 'Head of Payroll'
const LONG = { timeoutMs: 60_000, intervalMs: 100 }
const all = (): NodeProcess[] => [owner, member, guest]

async function ownerSeenBy(node: NodeProcess): Promise<MemberView | undefined> {
  return (await node.api.call('workspaces.members', { workspaceId })).find((m) => m.role === 'owner')
}

/** Every value of a collection of a stopped node's store, decrypted with its own key. */
async function storedValues(node: NodeProcess, name: 'membershipOps' | 'sealedValues'): Promise<Array<{ bytes: string }>> {
  const store = await openStore({ path: join(node.dataDir, 'store'), log: createLogger('scan'), dataKey: await loadDataKey(node.dataDir, { kind: 'key-file', path: join(node.dataDir, 'store.key') }) })
  try {
    const out: Array<{ bytes: string }> = []
    for await (const [, value] of store.collection<{ bytes: string }>(name).entries()) out.push(value)
    return out
  } finally {
    await store.close()
  }
}

/** Asks `target` once on `protocol` as the scripted guest; the refusal it meets, if any. */
async function refusalFor(node: NetNode, target: NodeProcess, protocol: string, request: unknown): Promise<unknown> {
  const stream = await node.dialProtocol(multiaddr(target.address), protocol, { signal: AbortSignal.timeout(5_000) })
  return ask(stream, request, { maxReplyBytes: 64 * 1024 }, (exchange) => exchange.next()).then(() => undefined, (err: unknown) => err)
}

let spareInviteHash: string

before(async () => {
  const start = async (name: string): Promise<NodeProcess> => startNode(await makeDataDir(name))
  ;[owner, member, guest] = await startAll([start('owner'), start('member'), start('guest')])
  const ws = await owner.api.call('workspaces.create', { name: 'Acme' })
  workspaceId = ws.id
  general = ws.channelId
  await owner.api.call('workspaces.updateProfile', { workspaceId, profile: { name: 'Wang Li', title: TITLE, phone: PHONE, email: EMAIL } })
  await member.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId })).link })
  await guest.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId, role: 'guest' })).link })
  // An invite nobody has used yet: its secret's hash is what a guest must not learn.
  spareInviteHash = inviteSecretHash(decodeInviteLink((await owner.api.call('workspaces.invite', { workspaceId })).link).secret)
  await meshConnect(all())
  await waitFor('every device to see three active members', async () => {
    for (const node of all()) if ((await node.api.call('workspaces.list', {}))[0]?.memberCount !== 3) return false
    return true
  }, LONG)
})

after(async () => {
  await Promise.resolve(raw?.stop()).catch(() => undefined)
  await Promise.all(all().map((n) => n.stop()))
  await Promise.all(all().map((n) => removeDataDir(n.dataDir)))
})

test('a member learns a colleague\'s phone and email; a guest gets the directory card only, and no invite secret hash', { timeout: 120_000 }, async () => {
  const seenByMember = await waitFor('the member to learn the owner\'s phone and email', async () => {
    const m = await ownerSeenBy(member)
    return m?.phone === PHONE && m.email === EMAIL ? m : undefined
  }, LONG)
  assert.equal(seenByMember.title, TITLE)
  // The positive witness: the guest has the owner's card, from the very op that names the contact.
  const seenByGuest = await waitFor('the guest to see the owner\'s name and title', async () => {
    const m = await ownerSeenBy(guest)
    return m?.name === 'Wang Li' && m.title === TITLE ? m : undefined
  }, LONG)
  assert.equal(seenByGuest.phone, null)
  assert.equal(seenByGuest.email, null)
  // The guest's node asks nobody: the directory search by phone or email finds nothing there.
  assert.deepEqual(await guest.api.call('directory.search', { workspaceId, query: 'wang.li@acme' }), [])
  assert.equal((await member.api.call('directory.search', { workspaceId, query: 'wang.li@acme' }))[0]?.phone, PHONE)

  // What the stores hold: the guest's log has the title but no phone, email or invite hash, and
  // no sealed value at all; the member (not an admin) holds all three.
  await Promise.all([guest.stop(), member.stop()])
  const guestOps = (await storedValues(guest, 'membershipOps')).map((o) => Buffer.from(o.bytes, 'base64').toString('latin1'))
  assert.ok(guestOps.some((op) => op.includes(TITLE)), 'the guest holds the owner\'s profile op')
  for (const secret of [PHONE, EMAIL, spareInviteHash]) assert.ok(!guestOps.some((op) => op.includes(secret)), `the guest's log holds ${secret}`)
  assert.deepEqual(await storedValues(guest, 'sealedValues'), [])
  const memberValues = (await storedValues(member, 'sealedValues')).map((v) => JSON.stringify(canonicalDecode(new Uint8Array(Buffer.from(v.bytes, 'base64')))))
  for (const secret of [PHONE, EMAIL, spareInviteHash]) assert.ok(memberValues.some((v) => v.includes(secret)), `the member lacks ${secret}`)
  const memberOps = (await storedValues(member, 'membershipOps')).map((o) => Buffer.from(o.bytes, 'base64').toString('latin1'))
  for (const secret of [PHONE, EMAIL, spareInviteHash]) assert.ok(!memberOps.some((op) => op.includes(secret)), `the log itself carries ${secret}`)
  ;[guest, member] = await startAll([startNode(guest.dataDir), startNode(member.dataDir)])
  await meshConnect(all())
})

test('a guest asking for sealed values or the workspace\'s docs gets the stranger refusal; a member\'s doc sync works', { timeout: 120_000 }, async () => {
  const doc = await owner.api.call('docs.create', { kind: 'note', title: 'Salary bands', conversationId: general })
  await waitFor('the member to sync the workspace doc', async () => (await member.api.call('docs.list', { conversationId: general })).some((d) => d.id === doc.id), LONG)
  assert.deepEqual(await guest.api.call('docs.list', { conversationId: general }), [])

  // A scripted guest joins by a guest invite and reads the log the owner sends it.
  raw = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  const invite = decodeInviteLink((await owner.api.call('workspaces.invite', { workspaceId, role: 'guest' })).link)
  const ops: SignedOp[] = []
  const joined = await requestJoin(await raw.dialProtocol(multiaddr(owner.address), JOIN_PROTOCOL), { ws: invite.ws, inviteId: invite.inviteId, secret: invite.secret, userId: randomBytes(12).toString('hex'), profile: { name: 'Mallory' }, have: [], from: null }, (batch) => { ops.push(...batch); return Promise.resolve() })
  assert.equal(joined.status, 'active')
  const contact = ops.map((o) => canonicalDecode(o.bytes) as { body: { type: string; profile?: { contact?: string } } }).find((o) => o.body.type === 'profile')?.body.profile?.contact
  assert.ok(contact !== undefined, 'the owner\'s profile op names a contact commitment')

  const uniform = { code: 'not-member', message: NOT_AVAILABLE }
  const sealed = await refusalFor(raw, owner, SEALED_PROTOCOL, { ws: workspaceId, want: [contact] })
  assert.ok(sealed instanceof EnclaveError, `sealed values: refused with a coded frame (${String(sealed)})`)
  assert.deepEqual({ code: sealed.code, message: sealed.message }, uniform)
  const docs = await refusalFor(raw, owner, DOCS_PROTOCOL, { t: 'index', doc: '', conv: general, epoch: 0, n: new Uint8Array(12), c: new Uint8Array(32) })
  assert.ok(docs instanceof EnclaveError, `docs index: refused with a coded frame (${String(docs)})`)
  assert.deepEqual({ code: docs.code, message: docs.message }, uniform)
  const sync = await refusalFor(raw, owner, DOCS_PROTOCOL, { t: 'sync', doc: doc.id, conv: general, epoch: 0, n: new Uint8Array(12), c: new Uint8Array(32) })
  assert.ok(sync instanceof EnclaveError)
  assert.deepEqual({ code: sync.code, message: sync.message }, uniform)
})
