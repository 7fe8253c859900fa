import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { makeDataDir, meshConnect, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { WorkspaceId } from '../../src/api/contract.js'

// An owner, a member who goes away, and a mailbox that takes at most 4 KiB from each member.
let owner: NodeProcess
let dave: NodeProcess
let box: NodeProcess
let workspaceId: WorkspaceId
const LONG = { timeoutMs: 90_000, intervalMs: 100 }
const all = (): NodeProcess[] => [owner, dave, box]

before(async () => {
  owner = await startNode(await makeDataDir('owner'))
  dave = await startNode(await makeDataDir('dave'))
  box = await startNode(await makeDataDir('box'), { args: ['--mailbox'], env: { ENCLAVE_MAILBOX_MEMBER_BYTES: '4096' } })
  workspaceId = (await owner.api.call('workspaces.create', { name: 'Acme' })).id
  for (const node of [dave, box]) await node.api.call('workspaces.join', { link: (await owner.api.call('workspaces.invite', { workspaceId })).link })
  await meshConnect(all())
  await waitFor('every device to see three active members', async () => {
    for (const node of all()) if ((await node.api.call('workspaces.list', {}))[0]?.memberCount !== 3) return false
    return true
  }, LONG)
})

after(async () => {
  await Promise.all(all().map((n) => n.stop()))
  await Promise.all(all().map((n) => removeDataDir(n.dataDir)))
})

test('a mailbox over a member\'s quota answers over-quota; the sender keeps the messages queued and they all arrive later', { timeout: 180_000 }, async () => {
  const hello = await owner.api.call('chat.send', { peerId: dave.peerId, text: 'hello' })
  await waitFor('the first message delivered', async () => (await owner.api.call('chat.history', { peerId: dave.peerId, limit: 5 })).find((m) => m.id === hello.id)?.state === 'delivered', LONG)
  await dave.stop()

  // Each ~1.5 KiB of ciphertext: the mailbox takes two or three, then refuses.
  const texts = Array.from({ length: 6 }, (_, i) => `${i}:${'x'.repeat(1500)}`)
  for (const text of texts) await owner.api.call('chat.send', { peerId: dave.peerId, text })
  await waitFor('the mailbox to refuse a deposit over quota', () => box.logs.some((l) => l.msg === 'refused a deposit' && l.code === 'over-quota' && l.peer === owner.peerId), LONG)
  await waitFor('the owner to hear over-quota and keep it queued', () => owner.logs.some((l) => l.msg === 'envelope refused for now; kept queued' && l.code === 'over-quota' && l.peer === box.peerId), LONG)
  assert.ok(box.logs.some((l) => l.msg === 'holding mail'), 'the mailbox took what fitted')
  // Nothing the owner saw as sent is lost or failed: every message is still on its way.
  const states = (await owner.api.call('chat.history', { peerId: dave.peerId, limit: 10 })).filter((m) => texts.includes(m.text)).map((m) => m.state)
  assert.equal(states.length, texts.length)
  assert.ok(states.every((s) => s === 'pending' || s === 'sent'), `states: ${states.join()}`)

  dave = await startNode(dave.dataDir)
  await meshConnect(all())
  await waitFor('dave to read every message, the refused ones included', async () => {
    const got = new Set((await dave.api.call('chat.history', { peerId: owner.peerId, limit: 20 })).map((m) => m.text))
    return texts.every((t) => got.has(t))
  }, LONG)
  await waitFor('every message delivered on the owner\'s side', async () => (await owner.api.call('chat.history', { peerId: dave.peerId, limit: 10 })).filter((m) => texts.includes(m.text)).every((m) => m.state === 'delivered'), LONG)
})
