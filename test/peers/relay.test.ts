import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { decodeInviteLink } from '../../src/identity/invite-link.js'
import { enclave } from '../helpers/cli.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { NetHealthView } from '../../src/api/contract.js'

// First step of reaching beyond the LAN: a company relay on loopback. (Namespaces with no
// route between the clients come with hole punching.)
let relay: NodeProcess
let bob: NodeProcess
let alice: NodeProcess

before(async () => {
  // A lab relay: these devices are in no workspace (or in several), so it serves anyone on purpose.
  relay = await startNode(await makeDataDir('relay'), { relay: true, args: ['--allow-anyone'] })
  // On loopback a direct path always exists and a relayed peer is moved onto it as soon as it
  // says where it listens: these two stay relayed, since the relay's part is what is tested.
  const stayRelayed = { ENCLAVE_PATH_UPGRADE_MS: '0' }
  bob = await startNode(await makeDataDir('bob'), { args: ['--relay', relay.address], env: stayRelayed })
  alice = await startNode(await makeDataDir('alice'), { env: stayRelayed })
})

after(async () => {
  await Promise.all([alice.stop(), bob.stop(), relay.stop()])
  await Promise.all([alice, bob, relay].map((n) => removeDataDir(n.dataDir)))
})

test('a client keeps a reservation on its relay; relay status shows it on both sides', async () => {
  await waitFor('bob to hold a reservation', async () => (await bob.api.call('net.health', {})).relays[0]?.reserved === true)
  const r = await enclave('relay', 'status', '--json', '--data', relay.dataDir)
  assert.equal(r.code, 0, r.stderr)
  const status = JSON.parse(r.stdout) as NetHealthView
  assert.equal(status.serving, true)
  assert.ok(status.reservations.some((x) => x.peerId === bob.peerId && x.expiresAt > Date.now()))
  const info = await bob.api.call('node.info', {})
  assert.ok(info.addresses.some((a) => a.startsWith(`${relay.address}/p2p-circuit`)), 'bob is addressable through the relay')
})

test('a colleague reaches a device through the relay and they chat, end-to-end encrypted', async () => {
  await alice.api.call('peers.dial', { address: `${relay.address}/p2p-circuit/p2p/${bob.peerId}` })
  const relayed = await alice.api.call('net.health', {})
  assert.ok(relayed.relayedConnections >= 1, 'the first connection to bob goes through the relay')
  const sent = await alice.api.call('chat.send', { peerId: bob.peerId, text: 'through the relay' })
  await waitFor('delivery through the relay', async () => (await alice.api.call('chat.history', { peerId: bob.peerId })).find((m) => m.id === sent.id)?.state === 'delivered')
  const reply = await bob.api.call('chat.send', { peerId: alice.peerId, text: 'and back' })
  await waitFor('the reply', async () => (await alice.api.call('chat.history', { peerId: bob.peerId })).some((m) => m.id === reply.id))

  const before = await relay.api.call('net.health', {})
  assert.ok(before.circuits >= 1 && before.circuitsTotal >= before.circuits, `the relay counts the circuit: ${JSON.stringify(before)}`)
  const long = await alice.api.call('chat.send', { peerId: bob.peerId, text: 'x'.repeat(8000) })
  await waitFor('the long message delivered', async () => (await alice.api.call('chat.history', { peerId: bob.peerId })).find((m) => m.id === long.id)?.state === 'delivered')
  const afterwards = await relay.api.call('net.health', {})
  assert.ok(afterwards.bytesRelayed - before.bytesRelayed >= 8000, `the relay counts the bytes it carried: ${before.bytesRelayed} → ${afterwards.bytesRelayed}`)
})

test('a relay in no workspace serves only the devices it lists, never anyone by default', async () => {
  const listed = await startNode(await makeDataDir('listed'))
  const other = await startNode(await makeDataDir('unlisted'))
  const third = await startNode(await makeDataDir('third'))
  const quiet = await startNode(await makeDataDir('quiet-relay'), { relay: true })
  const picky = await startNode(await makeDataDir('picky-relay'), { relay: true, args: ['--allow', listed.peerId] })
  const started = [listed, other, third, quiet, picky]
  try {
    // Each device keeps one relay slot when it was given no relay: one relay each to try.
    for (const n of [listed, other]) await n.api.call('peers.dial', { address: picky.address })
    await third.api.call('peers.dial', { address: quiet.address })
    const heldAt = async (n: NodeProcess, r: NodeProcess): Promise<boolean> => (await r.api.call('net.health', {})).reservations.some((x) => x.peerId === n.peerId)
    const refusedAt = (n: NodeProcess, r: NodeProcess): boolean => r.logs.some((l) => l.msg === 'refused a relay reservation' && l.peer === n.peerId)
    await waitFor('the listed device to reserve on the relay that lists it', () => heldAt(listed, picky), { timeoutMs: 30_000 })
    await waitFor('the other to be refused there', () => refusedAt(other, picky), { timeoutMs: 30_000 })
    await waitFor('a relay with no list to refuse', () => refusedAt(third, quiet), { timeoutMs: 30_000 })
    assert.equal(await heldAt(other, picky), false)
    assert.equal((await quiet.api.call('net.health', {})).reservations.length, 0)
  } finally {
    await Promise.all(started.map((n) => n.stop()))
    await Promise.all(started.map((n) => removeDataDir(n.dataDir)))
  }
})

test('a relay bound to a workspace serves its members and refuses everyone else', async () => {
  const owner = await startNode(await makeDataDir('owner'))
  const bound = await startNode(await makeDataDir('bound-relay'), { relay: true })
  const started: NodeProcess[] = [owner, bound]
  try {
    const ws = await owner.api.call('workspaces.create', { name: 'Acme' })
    await bound.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
    await bound.stop()
    const relayBound = await startNode(bound.dataDir, { relay: true, args: ['--workspace', ws.id] })
    started[1] = relayBound
    const member = await startNode(await makeDataDir('member'))
    started.push(member)
    await member.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
    await member.stop()
    const memberAgain = await startNode(member.dataDir, { args: ['--relay', relayBound.address] })
    started[2] = memberAgain
    const stranger = await startNode(await makeDataDir('stranger'), { args: ['--relay', relayBound.address] })
    started.push(stranger)
    await waitFor('the member to hold a reservation', async () => (await memberAgain.api.call('net.health', {})).relays[0]?.reserved === true, { timeoutMs: 30_000 })
    await waitFor('the stranger to be refused', () => relayBound.logs.some((l) => l.msg === 'refused a relay reservation' && l.peer === stranger.peerId), { timeoutMs: 30_000 })
    const status = await relayBound.api.call('net.health', {})
    assert.ok(status.reservations.some((r) => r.peerId === memberAgain.peerId))
    assert.ok(!status.reservations.some((r) => r.peerId === stranger.peerId))
    assert.equal((await stranger.api.call('net.health', {})).relays[0]?.reserved, false)
  } finally {
    await Promise.all(started.map((n) => n.stop()))
    await Promise.all(started.map((n) => removeDataDir(n.dataDir)))
  }
})

test('an invite carries the inviter\'s relay, and the device that joins reserves there by itself', async () => {
  const owner = await startNode(await makeDataDir('relay-owner'), { args: ['--relay', relay.address] })
  const joiner = await startNode(await makeDataDir('relay-joiner'))
  try {
    await waitFor('the owner to hold a reservation', async () => (await owner.api.call('net.health', {})).relays[0]?.reserved === true)
    const ws = await owner.api.call('workspaces.create', { name: 'Remote office' })
    const { link } = await owner.api.call('workspaces.invite', { workspaceId: ws.id })
    const addresses = decodeInviteLink(link).addresses
    assert.ok(addresses.some((a) => a.includes(`/p2p/${relay.peerId}/p2p-circuit`)), `the invite names the relay: ${addresses.join(' ')}`)
    await joiner.api.call('workspaces.join', { link })
    await waitFor('the joiner to reserve on the relay from the invite', async () => (await joiner.api.call('net.health', {})).relays.some((r) => r.address.endsWith(`/p2p/${relay.peerId}`) && r.reserved))
    assert.ok((await joiner.api.call('node.info', {})).addresses.some((a) => a.includes(`${relay.peerId}/p2p-circuit`)), 'the joiner is reachable through the relay')
  } finally {
    await Promise.all([owner.stop(), joiner.stop()])
    await Promise.all([owner, joiner].map((n) => removeDataDir(n.dataDir)))
  }
})

test('relays listed in the workspace settings reach members who joined before, and stay after a restart', async () => {
  const owner = await startNode(await makeDataDir('settings-owner'))
  const early = await startNode(await makeDataDir('settings-early'))
  const started = [owner, early]
  try {
    const ws = await owner.api.call('workspaces.create', { name: 'Branch office' })
    await early.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId: ws.id })).link })
    assert.equal((await early.api.call('net.health', {})).relays.length, 0, 'no relay known yet')

    const bad = await enclave('workspace', 'relays', ws.id, '/ip4/127.0.0.1/tcp/1/p2p-circuit', '--data', owner.dataDir)
    assert.notEqual(bad.code, 0, 'a relayed address is no relay')
    const set = await enclave('workspace', 'relays', ws.id, relay.address, '--data', owner.dataDir)
    assert.equal(set.code, 0, set.stderr)
    assert.equal(set.stdout.trim(), relay.address)
    const heldBy = async (n: NodeProcess): Promise<boolean> => (await n.api.call('net.health', {})).relays.some((r) => r.address === relay.address && r.reserved)
    await waitFor('the earlier member to learn the relay and reserve there', () => heldBy(early), { timeoutMs: 30_000 })
    assert.deepEqual((await early.api.call('workspaces.list', {}))[0]?.relays, [relay.address])

    await early.stop()
    const again = await startNode(early.dataDir)
    started[1] = again
    await waitFor('the member to reserve again after a restart, with no --relay', () => heldBy(again), { timeoutMs: 30_000 })
    await assert.rejects(again.api.call('workspaces.setRelays', { workspaceId: ws.id, relays: [] }), { code: 'unauthorized' }, 'only admins change the relay list')
  } finally {
    await Promise.all(started.map((n) => n.stop()))
    await Promise.all(started.map((n) => removeDataDir(n.dataDir)))
  }
})
