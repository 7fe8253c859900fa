import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { ApiCallError } from '../../src/api/api-client.js'
import { enclave } from '../helpers/cli.js'
import { historyTexts } from '../helpers/chat.js'
import { workspaceChannelId } from '../../src/identity/workspace-channel.js'
import { repoRoot } from '../helpers/node-process.js'
import { testNodes } from '../helpers/test-nodes.js'
import { waitFor } from '../helpers/wait.js'
import type { NodeProcess } from '../helpers/node-process.js'
import type { LinkRequestView } from '../../src/api/contract.js'

const { start, dir } = testNodes()

/** The link requests `node` announces, as they come. */
function requestsOf(node: NodeProcess): LinkRequestView[] {
  const seen: LinkRequestView[] = []
  node.api.on('devices.linkRequest', (r) => { seen.push(r) })
  return seen
}

const refusedWith = (code: string) => (err: unknown): boolean => err instanceof ApiCallError && err.code === code

test('a second device links to its person by code: both show the same digits, the person confirms, colleagues see one person with two devices, and the new one is in that person\'s channels and DMs (with their history) until it is removed as lost; a copy of the code used first shows other digits and is declined', async () => {
  const alice = await start(await dir('alice'))
  const bob = await start(await dir('bob'), [alice.address])
  await alice.api.call('profile.set', { displayName: 'Alice Chen' })
  const ws = await alice.api.call('workspaces.create', { name: 'Acme' })
  await bob.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  // A private channel of Alice's and Bob's from before the link.
  const ops = await alice.api.call('channels.create', { workspaceId: ws.id, name: 'ops', visibility: 'private', members: [bob.peerId] })
  await waitFor('bob in ops', async () => (await bob.api.call('conversations.list', {})).find((c) => c.id === ops.id)?.status === 'active', { timeoutMs: 30_000 })
  const requests = requestsOf(alice)
  // History from before the laptop: it comes from Alice's desktop once the laptop is linked.
  await bob.api.call('chat.send', { conversationId: ops.id, text: 'the old plan 旧计划' })
  await waitFor('alice to read bob', async () => (await historyTexts(alice, { conversationId: ops.id })).includes('the old plan 旧计划'), { timeoutMs: 30_000 })
  const noted = await alice.api.call('chat.send', { conversationId: ops.id, text: 'noted' })
  await alice.api.call('chat.edit', { messageId: noted.id, text: 'noted, thanks' })
  // And a DM of theirs from before the link.
  const lunch = await alice.api.call('chat.send', { peerId: bob.peerId, text: 'lunch at noon?' })
  const dm = lunch.conversationId
  await waitFor('bob to read the DM', async () => (await historyTexts(bob, { conversationId: dm }).catch((): string[] => [])).includes('lunch at noon?'), { timeoutMs: 30_000 })
  await bob.api.call('chat.send', { peerId: alice.peerId, text: 'yes, 12:30' })

  // Someone who photographed the code uses it first: Alice sees digits her new laptop does not show, and says no.
  const { code } = await alice.api.call('devices.linkCode', {})
  const laptop = await start(await dir('alice-laptop'))
  const mallory = await start(await dir('mallory'))
  const laptopSas = (await laptop.api.call('devices.readLinkCode', { code })).sas
  assert.match(laptopSas, /^\d{3} \d{3}$/)
  const stolen = mallory.api.call('devices.link', { code })
  const first = await waitFor('alice to be asked', () => requests.find((r) => r.state === 'waiting'))
  assert.notEqual(first.sas, laptopSas, 'a device other than the laptop shows other digits')
  await alice.api.call('devices.confirmLink', { requestId: first.requestId, accept: false })
  await assert.rejects(stolen, refusedWith('unauthorized'))
  // The code is used up: the laptop needs a new one. Mallory, with the old one, gets nowhere.
  await assert.rejects(laptop.api.call('devices.link', { code }), refusedWith('bad-request'))
  assert.deepEqual(await mallory.api.call('workspaces.list', {}), [])

  const fresh = (await alice.api.call('devices.linkCode', {})).code
  const sas = (await laptop.api.call('devices.readLinkCode', { code: fresh })).sas
  const linking = laptop.api.call('devices.link', { code: fresh })
  const asked = await waitFor('alice to be asked again', () => requests.find((r) => r.state === 'waiting' && r.requestId !== first.requestId))
  assert.equal(asked.sas, sas, 'both devices show the same digits')
  await alice.api.call('devices.confirmLink', { requestId: asked.requestId, accept: true })
  const [joined] = await linking
  assert.equal(joined?.id, ws.id)
  assert.equal(joined.userId, (await alice.api.call('workspaces.list', {}))[0]?.userId, 'the laptop is Alice\'s, not a new member')
  assert.equal((await laptop.api.call('profile.get', {})).displayName, 'Alice Chen', 'a device linked before it had a name takes its person\'s')
  await waitFor('alice to see the link done', () => requests.some((r) => r.requestId === asked.requestId && r.state === 'linked'))

  // Bob sees one Alice with both devices; the laptop gets its certificate from an admin device.
  const aliceOnBob = async (): Promise<string[] | undefined> => (await bob.api.call('workspaces.members', { workspaceId: ws.id })).find((m) => m.userId === joined.userId)?.devices
  await waitFor('bob to see both of alice\'s devices', async () => (await aliceOnBob())?.length === 2, { timeoutMs: 30_000 })
  assert.deepEqual([...(await aliceOnBob() ?? [])].sort(), [alice.peerId, laptop.peerId].sort())
  assert.equal((await bob.api.call('workspaces.members', { workspaceId: ws.id })).length, 2, 'no third member')
  await waitFor('the laptop to hold a certificate', async () => (await laptop.api.call('workspaces.list', {}))[0]?.certificate?.role === 'owner', { timeoutMs: 30_000 })
  // The laptop is in the channels Alice is in: what Bob posts now reaches it, and what it posts reaches Bob.
  const general = workspaceChannelId(ws.id)
  for (const conv of [ops.id, general]) await waitFor(`the laptop in ${conv === general ? '#general' : 'ops'}`, async () => (await laptop.api.call('conversations.list', {})).find((c) => c.id === conv)?.status === 'active', { timeoutMs: 30_000 })
  await waitFor('the laptop to get ops\' history from the desktop', async () => {
    const texts = await historyTexts(laptop, { conversationId: ops.id })
    return texts.includes('the old plan 旧计划') && texts.includes('noted, thanks')
  }, { timeoutMs: 30_000 })
  assert.deepEqual((await laptop.api.call('search.query', { query: '旧计划' })).messages.map((h) => h.message.text), ['the old plan 旧计划'], 'found by search there too')
  await bob.api.call('chat.send', { conversationId: ops.id, text: 'deploy at five' })
  await waitFor('the laptop to read bob', async () => (await historyTexts(laptop, { conversationId: ops.id })).includes('deploy at five'), { timeoutMs: 30_000 })
  await laptop.api.call('chat.send', { conversationId: ops.id, text: 'ok, from my laptop' })
  await waitFor('bob to read the laptop', async () => (await historyTexts(bob, { conversationId: ops.id })).includes('ok, from my laptop'), { timeoutMs: 30_000 })
  await waitFor('alice\'s first device to read it too', async () => (await historyTexts(alice, { conversationId: ops.id })).includes('ok, from my laptop'), { timeoutMs: 30_000 })
  const fromLaptop = (await alice.api.call('chat.history', { conversationId: ops.id })).find((m) => m.text === 'ok, from my laptop')
  assert.equal(fromLaptop?.mine, true, 'what Alice sent from her laptop is hers on her desktop')
  assert.equal((await bob.api.call('chat.history', { conversationId: ops.id })).find((m) => m.text === 'ok, from my laptop')?.mine, false)
  // The DM is Alice's and Bob's, not her desktop's: the laptop finds it, with what came before, and writes in it as Alice.
  assert.equal((await laptop.api.call('conversations.open', { peerId: bob.peerId })).id, dm, 'the laptop\'s DM with Bob is the desktop\'s')
  await waitFor('the laptop to get the DM\'s history', async () => {
    const texts = await historyTexts(laptop, { conversationId: dm })
    return texts.includes('lunch at noon?') && texts.includes('yes, 12:30')
  }, { timeoutMs: 30_000 })
  assert.equal((await laptop.api.call('chat.history', { conversationId: dm })).find((m) => m.text === 'lunch at noon?')?.mine, true)
  await waitFor('bob to have the laptop in the DM', async () => (await bob.api.call('conversations.list', {})).find((c) => c.id === dm)?.members.includes(laptop.peerId) === true, { timeoutMs: 30_000 })
  await laptop.api.call('chat.send', { peerId: bob.peerId, text: 'running late, from my laptop' })
  await waitFor('bob and the desktop to read the laptop\'s DM', async () =>
    (await historyTexts(bob, { conversationId: dm })).includes('running late, from my laptop') && (await historyTexts(alice, { conversationId: dm })).includes('running late, from my laptop'), { timeoutMs: 30_000 })
  assert.equal((await alice.api.call('chat.history', { conversationId: dm })).find((m) => m.text === 'running late, from my laptop')?.mine, true, 'hers on the desktop')
  await bob.api.call('chat.send', { peerId: laptop.peerId, text: 'no problem' })
  await waitFor('both of alice\'s devices to read bob\'s answer', async () =>
    (await historyTexts(laptop, { conversationId: dm })).includes('no problem') && (await historyTexts(alice, { conversationId: dm })).includes('no problem'), { timeoutMs: 30_000 })
  // A device already in a workspace links no further.
  await assert.rejects(laptop.api.call('devices.link', { code: (await alice.api.call('devices.linkCode', {})).code }), refusedWith('already-member'))

  // The laptop is lost: Alice removes it from her desktop. Bob sees one device again, the
  // channel's next epoch leaves it out, and Bob's next post reaches Alice but not the laptop.
  await assert.rejects(alice.api.call('devices.remove', { device: alice.peerId }), refusedWith('bad-request'))
  assert.deepEqual(await alice.api.call('devices.remove', { device: laptop.peerId }), [ws.id])
  await waitFor('bob to see one device of alice\'s', async () => (await aliceOnBob())?.length === 1, { timeoutMs: 30_000 })
  const opsOn = async (node: NodeProcess): Promise<string[]> => (await node.api.call('conversations.list', {})).find((c) => c.id === ops.id)?.members ?? []
  // Two commits (the channel's, the DM's), each taken in by Bob: a loaded CI machine ran this
  // 2.5 times slower than a quiet one (the 1 GiB test, 29 → 71 s), past a 30 s wait.
  const dmOn = async (node: NodeProcess): Promise<string[]> => (await node.api.call('conversations.list', {})).find((c) => c.id === dm)?.members ?? []
  await waitFor('the laptop to leave the channel\'s and the DM\'s groups', async () =>
    !(await opsOn(bob)).includes(laptop.peerId) && !(await opsOn(alice)).includes(laptop.peerId) && !(await dmOn(bob)).includes(laptop.peerId) && !(await dmOn(alice)).includes(laptop.peerId), { timeoutMs: 60_000 })
  await bob.api.call('chat.send', { conversationId: ops.id, text: 'new keys, new plans' })
  await bob.api.call('chat.send', { peerId: alice.peerId, text: 'just between us now' })
  await waitFor('alice to read both', async () =>
    (await historyTexts(alice, { conversationId: ops.id })).includes('new keys, new plans') && (await historyTexts(alice, { conversationId: dm })).includes('just between us now'), { timeoutMs: 30_000 })
  assert.ok(!(await historyTexts(laptop, { conversationId: ops.id })).includes('new keys, new plans'), 'the removed laptop reads nothing after its removal')
  assert.ok(!(await historyTexts(laptop, { conversationId: dm })).includes('just between us now'), 'in the DM either')
  await waitFor('the laptop to be cut off', async () => !(await bob.api.call('peers.list', {})).some((p) => p.peerId === laptop.peerId && p.connected), { timeoutMs: 30_000 })
})

test('linking from the CLI: the device with the code asks on its terminal, showing the digits the new device printed', async () => {
  const carol = await start(await dir('carol'))
  const ws = await carol.api.call('workspaces.create', { name: 'Carol & Co' })
  const desktop = await start(await dir('carol-desktop'))
  // `enclave device link-code` runs on, waiting for a device and then for Carol's answer on stdin.
  const shower = spawn(process.execPath, [join(repoRoot(), 'bin', 'enclave.js'), 'device', 'link-code', '--data', carol.dataDir], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  shower.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  shower.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const exited = new Promise<number | null>((resolve) => shower.once('exit', resolve))
  try {
    const code = await waitFor('the code to be printed', () => /enclave:\/\/link\/[A-Za-z0-9_-]+/.exec(stdout)?.[0])
    const linking = enclave('device', 'link', code, '--data', desktop.dataDir)
    const asked = await waitFor('carol to be asked, with digits', () => /Does it show (\d{3} \d{3})\?/.exec(stderr)?.[1])
    shower.stdin.end('y\n')
    const linked = await linking
    assert.equal(linked.code, 0, linked.stderr)
    assert.ok(linked.stdout.includes(`shows ${asked}`), `the new device printed the same digits: ${linked.stdout}`)
    assert.match(linked.stdout, /Linked\. This device is now in "Carol & Co"/)
    assert.equal(await exited, 0, stderr)
    assert.match(stdout, /Linked ".+" to your account\./)
    assert.deepEqual((await desktop.api.call('workspaces.list', {})).map((w) => w.id), [ws.id])
  } finally {
    shower.kill()
  }
})
