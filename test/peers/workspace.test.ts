import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { CHAT_PROTOCOL } from '../../src/chat/chat-frames.js'
import { decodeInviteLink, encodeInviteLink } from '../../src/identity/invite-link.js'
import { createNetNode, type NetNode } from '../../src/net/libp2p-node.js'
import { cborFrame } from '../../src/net/frame-io.js'
import { MEMBERSHIP_PROTOCOL } from '../../src/org/membership-sync.js'
import { enclave } from '../helpers/cli.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { WorkspaceId, WorkspaceView } from '../../src/api/contract.js'

let owner: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
let mallory: NetNode
let workspaceId: WorkspaceId

before(async () => {
  ;[owner, bob, carol] = await startAll([startNode(await makeDataDir('owner')), startNode(await makeDataDir('bob')), startNode(await makeDataDir('carol'))])
  await owner.api.call('profile.set', { displayName: 'Olivia' })
  await bob.api.call('profile.set', { displayName: 'Bob' })
  mallory = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
})

after(async () => {
  await mallory.stop()
  await Promise.all([owner.stop(), bob.stop(), carol.stop()])
  await Promise.all([owner, bob, carol].map((n) => removeDataDir(n.dataDir)))
})

async function invite(opts: string[] = []): Promise<string> {
  const r = await enclave('invite', '--json', '--data', owner.dataDir, ...opts)
  assert.equal(r.code, 0, r.stderr)
  return (JSON.parse(r.stdout) as { link: string }).link
}

test('a device joins by invite with the CLI; both sides list both members', async () => {
  const created = await enclave('workspace', 'create', 'Acme', 'Labs', '--json', '--data', owner.dataDir)
  assert.equal(created.code, 0, created.stderr)
  workspaceId = (JSON.parse(created.stdout) as WorkspaceView).id

  const joined = await enclave('join', await invite(), '--data', bob.dataDir)
  assert.equal(joined.code, 0, joined.stderr)
  assert.match(joined.stdout, /Joined "Acme Labs" as member/)

  for (const node of [owner, bob]) {
    const r = await enclave('members', '--json', '--data', node.dataDir)
    const members = JSON.parse(r.stdout) as Array<{ name: string; role: string; status: string }>
    assert.deepEqual(members.map((m) => [m.name, m.role, m.status]), [['Bob', 'member', 'active'], ['Olivia', 'owner', 'active']])
  }
  // Members chat as before, now through the gate.
  const sent = await bob.api.call('chat.send', { peerId: owner.peerId, text: 'hello boss' })
  await waitFor('delivery inside the workspace', async () => (await bob.api.call('chat.history', { peerId: owner.peerId })).find((m) => m.id === sent.id)?.state === 'delivered')
})

test('each member holds a certificate, renewed when its role changes', async () => {
  const certificate = (await bob.api.call('workspaces.list', {}))[0]?.certificate
  assert.ok(certificate !== null && certificate !== undefined)
  assert.equal(certificate.role, 'member')
  const week = 7 * 24 * 3600_000
  assert.ok(Math.abs(certificate.expiresAt - (Date.now() + week)) < 60_000)
  const bobUser = (await owner.api.call('workspaces.members', { workspaceId })).find((m) => m.name === 'Bob')
  assert.ok(bobUser !== undefined)
  const general = (await owner.api.call('workspaces.list', {}))[0]!.channelId
  const generalOf = async (n: NodeProcess): Promise<string | undefined> => (await n.api.call('conversations.list', {})).find((c) => c.id === general)?.status
  await waitFor('bob in the workspace channel', async () => await generalOf(bob) === 'active')
  await owner.api.call('workspaces.setRole', { workspaceId, userId: bobUser.userId, role: 'guest' })
  await waitFor('bob to hold a guest certificate', async () => (await bob.api.call('workspaces.list', {}))[0]?.certificate?.role === 'guest')
  // A guest sees the channels they were added to: not the workspace's own (its docs), not open ones.
  await waitFor('the guest taken out of the workspace channel', async () => await generalOf(bob) === 'removed')
  await assert.rejects(bob.api.call('channels.browse', { workspaceId }), (err: unknown) => (err as { code?: string }).code === 'unauthorized')
  await owner.api.call('workspaces.setRole', { workspaceId, userId: bobUser.userId, role: 'member' })
  await waitFor('and a member one again', async () => (await bob.api.call('workspaces.list', {}))[0]?.certificate?.role === 'member')
  await waitFor('back in the workspace channel', async () => await generalOf(bob) === 'active')
})

test('a used invite, an expired invite and a forged invite are all refused with invite-invalid', async () => {
  const used = await invite()
  assert.equal((await enclave('join', used, '--data', carol.dataDir)).code, 0)

  // Carol is now in; use a fresh device for the remaining refusals.
  const dave = await startNode(await makeDataDir('dave'))
  try {
    const reused = await enclave('join', used, '--data', dave.dataDir)
    assert.equal(reused.code, 1)
    assert.match(reused.stderr, /already used.*\(invite-invalid\)/)

    const short = await enclave('invite', '--json', '--expires', '1s', '--data', owner.dataDir)
    const shortInvite = JSON.parse(short.stdout) as { link: string; expiresAt: number }
    await waitFor('the invite to expire', () => Date.now() > shortInvite.expiresAt + 50)
    const expired = await enclave('join', shortInvite.link, '--data', dave.dataDir)
    assert.equal(expired.code, 1)
    assert.match(expired.stderr, /expired.*\(invite-invalid\)/)

    const genuine = decodeInviteLink(await invite())
    const secret = genuine.secret.slice()
    secret[0] = (secret[0] ?? 0) ^ 0xff
    const forged = await enclave('join', encodeInviteLink({ ...genuine, secret }), '--data', dave.dataDir)
    assert.equal(forged.code, 1)
    assert.match(forged.stderr, /unknown invite.*\(invite-invalid\)/)
    assert.deepEqual(await dave.api.call('workspaces.list', {}), [])
  } finally {
    await dave.stop()
    await removeDataDir(dave.dataDir)
  }
})

test('a non-member node can open no Enclave protocol and is disconnected', async () => {
  const target = multiaddr(owner.address)
  await mallory.dial(target)
  // Refused either while the protocol is negotiated (the dial fails: the stream was reset under
  // it) or just after (the stream closes); anything else fails the test.
  const refused = async (protocol: string, label: string, first?: Uint8Array): Promise<void> => {
    let stream
    try {
      stream = await mallory.dialProtocol(target, protocol)
      if (first !== undefined) stream.send(first)
    } catch (err) {
      if (/Stream(State|Reset)Error|StreamClosedError/.test((err as Error).name)) return
      throw err
    }
    await waitFor(`the ${label} stream to be refused`, () => stream.status !== 'open')
  }
  await refused(CHAT_PROTOCOL, 'chat')
  await refused(MEMBERSHIP_PROTOCOL, 'membership', cborFrame({ v: 1, t: 'hello', workspaces: [{ ws: workspaceId, heads: [], cert: null }] }))
  await waitFor('the owner to hang up on the stranger', () => mallory.getConnections().length === 0, { timeoutMs: 25_000 })
  assert.ok(owner.logs.some((l) => l.msg === 'stream refused' && l.code === 'not-member' && l.peer === mallory.peerId.toString()))
})

test('a removed member is disconnected within seconds and refused afterwards', async () => {
  const members = await owner.api.call('workspaces.members', { workspaceId })
  const carolUser = members.find((m) => m.devices.includes(carol.peerId as never))
  assert.ok(carolUser !== undefined)
  await waitFor('carol to be connected to the owner', async () => (await owner.api.call('peers.list', {})).some((p) => p.peerId === carol.peerId && p.connected))

  await owner.api.call('workspaces.removeMember', { workspaceId, userId: carolUser.userId })
  await waitFor('carol to be disconnected', async () => !(await owner.api.call('peers.list', {})).some((p) => p.peerId === carol.peerId && p.connected), { timeoutMs: 10_000 })
  await waitFor('carol to see it too', async () => !(await carol.api.call('peers.list', {})).some((p) => p.peerId === owner.peerId && p.connected))
  // Carol was told before the door closed: her device knows it was removed.
  assert.equal((await carol.api.call('workspaces.list', {}))[0]?.status, 'removed')
  // The dial may look successful for a moment (libp2p negotiates the muxer optimistically),
  // but the owner's gate closes it: it never stays up and nothing gets through.
  await carol.api.call('peers.dial', { address: owner.address }).catch(() => undefined)
  await waitFor('the refused connection to be gone', async () => !(await carol.api.call('peers.list', {})).some((p) => p.peerId === owner.peerId && p.connected))
  const sent = await carol.api.call('chat.send', { peerId: owner.peerId, text: 'let me back in' })
  assert.equal(sent.state, 'pending')
  // Bob, still a member, learns of the removal too and keeps working with the owner.
  await waitFor('bob to learn of the removal', async () => !(await bob.api.call('workspaces.members', { workspaceId })).some((m) => m.userId === carolUser.userId))
  const fromBob = await bob.api.call('chat.send', { peerId: owner.peerId, text: 'still here' })
  await waitFor('bob\'s message delivered', async () => (await bob.api.call('chat.history', { peerId: owner.peerId })).find((m) => m.id === fromBob.id)?.state === 'delivered')
  assert.ok(!(await owner.api.call('chat.history', { peerId: carol.peerId })).some((m) => m.text === 'let me back in'))
  assert.ok(!(await owner.api.call('peers.list', {})).some((p) => p.peerId === carol.peerId && p.connected))
})

test('a member leaves with the CLI and every member learns it; the owner must hand over first; joining twice is already-member', async () => {
  const ownerLeaves = await enclave('workspace', 'leave', workspaceId, '--data', owner.dataDir)
  assert.equal(ownerLeaves.code, 1)
  assert.match(ownerLeaves.stderr, /hands the workspace over.*\(bad-request\)/)

  const again = await enclave('join', await invite(), '--data', bob.dataDir)
  assert.equal(again.code, 1)
  assert.match(again.stderr, /already in that workspace.*\(already-member\)/)

  const bobUser = (await owner.api.call('workspaces.members', { workspaceId })).find((m) => m.devices.includes(bob.peerId as never))
  assert.ok(bobUser !== undefined)
  const left = await enclave('workspace', 'leave', workspaceId, '--json', '--data', bob.dataDir)
  assert.equal(left.code, 0, left.stderr)
  assert.equal((JSON.parse(left.stdout) as WorkspaceView).status, 'removed')
  // Bob's own op reaches the owner before either side closes the connection.
  await waitFor('the owner to learn bob left', async () => !(await owner.api.call('workspaces.members', { workspaceId })).some((m) => m.userId === bobUser.userId))
  const leftAgain = await enclave('workspace', 'leave', workspaceId, '--data', bob.dataDir)
  assert.equal(leftAgain.code, 1)
  assert.match(leftAgain.stderr, /\(not-member\)/)
})
