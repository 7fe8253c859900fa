import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, test } from 'node:test'
import { readBy, sendDelivered, sendRead } from '../helpers/chat.js'
import { makeDataDir, meshConnect, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'
import { measured } from '../helpers/flood.js'
import { waitFor } from '../helpers/wait.js'
import { guestFlood } from './guest-flood.js'
import { garbageEnvelope, sealAs, startAttacker, stealDevice, type Attacker, type StolenDevice } from './attacker.js'
import { dropped, lastSeq } from './victim.js'
import type { ConversationId, WorkspaceId } from '../../src/api/contract.js'

/*
 * Alice (admin), Bob and Mallory are members of one workspace and one channel, each in its own
 * process. The attackers are in this process: a guest (a fresh device that redeemed a guest
 * invite) and a thief holding Mallory's device key and MLS states, read from her store once her
 * process stopped. Every test ends on the victim's outcome, after a positive witness.
 */

let alice: NodeProcess
let bob: NodeProcess
let mallory: NodeProcess
let guest: Attacker
let thief: Attacker
let stolen: StolenDevice
let ws: WorkspaceId
/** A second workspace Mallory stays in after her removal from the first: her device still gets in. */
let other: WorkspaceId
let channel: ConversationId

before(async () => {
  alice = await startNode(await makeDataDir('alice'))
  const member = async (name: string): Promise<NodeProcess> => startNode(await makeDataDir(name), { peers: [alice.address] })
  ;[bob, mallory] = await Promise.all([member('bob'), member('mallory')])
  ws = (await alice.api.call('workspaces.create', { name: 'Acme' })).id
  other = (await alice.api.call('workspaces.create', { name: 'Acme Social' })).id
  for (const workspaceId of [ws, other]) {
    for (const device of [mallory, bob]) {
      const invite = await alice.api.call('workspaces.invite', { workspaceId })
      await device.api.call('workspaces.join', { link: invite.link })
    }
  }
  await meshConnect([alice, bob, mallory])
  channel = (await alice.api.call('channels.create', { workspaceId: ws, name: 'ops', members: [bob.peerId, mallory.peerId] })).id
  await sendDelivered(alice, { conversationId: channel }, 'welcome to ops')
  await sendDelivered(bob, { conversationId: channel }, 'bob here')
  await sendDelivered(mallory, { conversationId: channel }, 'mallory here')
  await sendDelivered(alice, { peerId: bob.peerId }, 'hi bob')

  guest = await startAttacker()
  const joined = await guest.redeem((await alice.api.call('workspaces.invite', { workspaceId: ws, role: 'guest' })).link, 'Guest')
  assert.equal(joined.status, 'active')
  await waitFor('Bob to know the guest', async () => (await bob.api.call('workspaces.members', { workspaceId: ws })).some((m) => m.devices.includes(guest.peerId)))

  await mallory.stop()
  stolen = await stealDevice(mallory.dataDir)
  thief = await startAttacker(stolen.key)
})

after(async () => {
  await Promise.all([guest.stop(), thief.stop()])
  await Promise.all([alice.stop(), bob.stop()])
  await Promise.all([alice, bob, mallory].map((n) => removeDataDir(n.dataDir)))
})

/** Forgeries a guest sends ahead of Alice's real messages (the guest sent 198). */
const FORGED = 40

test('a guest\'s envelopes in Alice\'s name take none of her places: her real messages with those numbers reach Bob and are read', async () => {
  const dm = (await bob.api.call('conversations.open', { peerId: alice.peerId })).id
  const last = await lastSeq(bob, { peerId: alice.peerId }, alice.peerId)
  const forged = Array.from({ length: FORGED }, (_, i) => guest.sign(garbageEnvelope(dm, alice.peerId, last + 1 + i)))
  const stream = await guest.push(bob.address, forged)
  await waitFor('Bob to drop every forgery as wrong-author', () => dropped(bob, alice.peerId, 'wrong-author').filter((seq) => seq > last).length >= FORGED)
  stream.abort(new Error('done'))

  const real = []
  for (let i = 0; i < 5; i++) real.push(await sendDelivered(alice, { peerId: bob.peerId }, `real ${i}`))
  for (const m of real) await readBy(bob, { peerId: alice.peerId }, alice.peerId, m.text)
  assert.ok(real.every((m) => m.seq > last && m.seq <= last + FORGED), `Alice's real seqs ${real.map((m) => m.seq).join(',')} fall where the forgeries were (${last + 1}..${last + FORGED})`)
  const read = await bob.api.call('chat.markRead', { conversationId: dm })
  assert.equal(read.unread, 0)
})

test('a valid MLS message from Mallory in an envelope claiming Bob, or claiming Bob inside her own envelope, is refused wrong-author; Bob\'s real messages still arrive', async () => {
  const bobNext = await lastSeq(alice, { conversationId: channel }, bob.peerId) + 1
  const malloryNext = await lastSeq(alice, { conversationId: channel }, mallory.peerId) + 1
  const asBob = { type: 'text', conv: channel, author: bob.peerId, seq: bobNext, hlc: Date.now() * 1000, text: 'mallory speaking as bob' } as const
  // Her own MLS message, valid in the channel's epoch, under Bob's name and number.
  const claimsBob = await sealAs(stolen, channel, asBob)
  // Her own name on the envelope (so her signature holds), Bob's inside.
  const insideBob = await sealAs(stolen, channel, { ...asBob, seq: malloryNext })
  const stream = await thief.push(alice.address, [
    thief.sign({ v: 3, conv: channel, author: bob.peerId, seq: bobNext, kind: 'app', ...claimsBob }),
    thief.sign({ v: 3, conv: channel, author: mallory.peerId, seq: malloryNext, kind: 'app', ...insideBob })
  ])
  await waitFor('Alice to refuse both', () => dropped(alice, bob.peerId, 'wrong-author').includes(bobNext) && dropped(alice, mallory.peerId, 'wrong-author').includes(malloryNext))
  stream.abort(new Error('done'))

  // Mallory's device is off (the thief has it), so nothing in the channel is delivered to all: read by Alice.
  const real = []
  for (let i = 0; i < 3; i++) real.push(await sendRead(bob, { conversationId: channel }, `bob for real ${i}`, alice))
  assert.equal(real[0]?.seq, bobNext, 'Bob\'s next real message had the number Mallory tried to take')
  const history = await alice.api.call('chat.history', { conversationId: channel, limit: 100 })
  assert.ok(!history.some((m) => m.text === asBob.text), 'the forged text was never shown')
})

/** Issue 13's bound for a hostile member's flood. */
const FLOOD_BOUND_MB = 64
const storeMb = (n: NodeProcess): number => Number(execFileSync('du', ['-sk', `${n.dataDir}/store`], { encoding: 'utf8' }).split('\t')[0]) / 1024

test('a guest\'s flood of forged envelopes, near-1 MiB garbage and oversized frames leaves Alice\'s messages to Bob flowing and Bob\'s RSS within 64 MB', { timeout: 90_000 }, async () => {
  const storeBefore = storeMb(bob)
  const first = await lastSeq(bob, { peerId: alice.peerId }, alice.peerId) + 1_000
  const { idle, peak } = await measured(bob.child.pid, async () => {
    const attack = guestFlood(guest, bob, alice.peerId, first)
    await sendDelivered(alice, { peerId: bob.peerId }, 'during the guest\'s flood')
    await attack
  })
  // Witnesses: every forgery was refused, the oversized streams were cut from their prefix.
  await waitFor('Bob to refuse every forgery', () => dropped(bob, alice.peerId, 'wrong-author').filter((seq) => seq >= first).length >= 128)
  await waitFor('the oversized streams refused', () => bob.logs.filter((l) => l.code === 'too-large' && l.peer === guest.peerId).length >= 16)
  await readBy(bob, { peerId: alice.peerId }, alice.peerId, (await sendDelivered(alice, { peerId: bob.peerId }, 'after the guest\'s flood')).text)
  const storeAfter = storeMb(bob)
  process.stderr.write(`guest flood: Bob RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (+${(peak - idle).toFixed(0)}); store ${storeBefore.toFixed(1)} -> ${storeAfter.toFixed(1)} MB\n`)
  assert.ok(peak - idle <= FLOOD_BOUND_MB, `RSS grew by ${(peak - idle).toFixed(0)} MB (bound ${FLOOD_BOUND_MB} MB)`)
  const shown = await bob.api.call('chat.history', { peerId: alice.peerId, limit: 100 })
  assert.ok(shown.every((m) => m.author === alice.peerId || m.author === bob.peerId))
})

test('a removed member\'s ciphertext after the removal is refused by every member that learned of it; the removal spreads to the channel', async () => {
  const userId = (await alice.api.call('workspaces.members', { workspaceId: ws })).find((m) => m.devices.includes(mallory.peerId))?.userId
  assert.ok(userId !== undefined)
  await alice.api.call('workspaces.removeMember', { workspaceId: ws, userId })
  for (const victim of [alice, bob]) {
    await waitFor('the removal to reach every member', async () => !(await victim.api.call('workspaces.members', { workspaceId: ws })).some((m) => m.userId === userId))
  }

  const seq = await lastSeq(alice, { conversationId: channel }, mallory.peerId) + 100
  const text = 'mallory after her removal'
  const sealed = await sealAs(stolen, channel, { type: 'text', conv: channel, author: mallory.peerId, seq, hlc: Date.now() * 1000, text })
  const env = thief.sign({ v: 3, conv: channel, author: mallory.peerId, seq, kind: 'app', ...sealed })
  // Still in the other workspace, her device is let in, and speaks in the channel of the first.
  for (const victim of [alice, bob]) {
    const stream = await thief.push(victim.address, [env])
    await waitFor('the envelope dropped as not-member', () => dropped(victim, mallory.peerId, 'not-member').includes(seq))
    stream.abort(new Error('done'))
  }
  // Witness: a later honest message reaches Bob, and the channel no longer counts Mallory.
  await readBy(bob, { conversationId: channel }, alice.peerId, (await sendDelivered(alice, { conversationId: channel }, 'after the removal')).text)
  await waitFor('Mallory out of the channel on both', async () => {
    const views = await Promise.all([alice, bob].map(async (v) => (await v.api.call('conversations.list', {})).find((c) => c.id === channel)))
    return views.every((c) => c !== undefined && !c.members.includes(mallory.peerId))
  }, { timeoutMs: 60_000 }).catch((err: unknown) => {
    // Seen once in ten runs: say what the committer and Bob did with the channel.
    for (const [name, v] of [['alice', alice], ['bob', bob]] as const) process.stderr.write(`${name}: ${JSON.stringify(v.logs.filter((l) => l.conv === channel).slice(-20))}\n`)
    throw err
  })
  for (const victim of [alice, bob]) {
    const history = await victim.api.call('chat.history', { conversationId: channel, limit: 100 })
    assert.ok(!history.some((m) => m.text === text), 'the removed member\'s text was shown')
  }
})
