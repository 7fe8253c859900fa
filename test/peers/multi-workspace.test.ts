import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { makeDataDir, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'

let olivia: NodeProcess
let carol: NodeProcess
let bob: NodeProcess

before(async () => {
  ;[olivia, carol, bob] = await startAll([startNode(await makeDataDir('olivia')), startNode(await makeDataDir('carol')), startNode(await makeDataDir('bob'))])
  await Promise.all([olivia.api.call('profile.set', { displayName: 'Olivia' }), carol.api.call('profile.set', { displayName: 'Carol' }), bob.api.call('profile.set', { displayName: 'Bob' })])
})

after(async () => {
  await Promise.all([olivia.stop(), carol.stop(), bob.stop()])
  await Promise.all([olivia, carol, bob].map((n) => removeDataDir(n.dataDir)))
})

async function delivered(from: NodeProcess, to: NodeProcess, text: string): Promise<void> {
  const sent = await from.api.call('chat.send', { peerId: to.peerId, text })
  await waitFor(`"${text}" delivered`, async () => (await from.api.call('chat.history', { peerId: to.peerId })).find((m) => m.id === sent.id)?.state === 'delivered')
}

test('one device in two companies talks to both; the two companies cannot reach each other through it', async () => {
  const acme = await olivia.api.call('workspaces.create', { name: 'Acme' })
  const globex = await carol.api.call('workspaces.create', { name: 'Globex' })
  await bob.api.call('workspaces.join', { link: (await olivia.api.call('workspaces.invite', { workspaceId: acme.id })).link })
  await bob.api.call('workspaces.join', { link: (await carol.api.call('workspaces.invite', { workspaceId: globex.id })).link })

  const mine = await bob.api.call('workspaces.list', {})
  assert.deepEqual(mine.map((w) => w.name).sort(), ['Acme', 'Globex'])
  assert.ok(mine.every((w) => w.role === 'member' && w.status === 'active'))

  await delivered(bob, olivia, 'hi Acme')
  await delivered(bob, carol, 'hi Globex')

  // Olivia and Carol share no workspace: each refuses the other's connection and streams.
  const toCarol = await olivia.api.call('chat.send', { peerId: carol.peerId, text: 'psst, from another company' })
  await olivia.api.call('peers.dial', { address: carol.address }).catch(() => undefined)
  await waitFor('carol to refuse olivia', () => carol.logs.some((l) => l.code === 'not-member' && l.peer === olivia.peerId) || olivia.logs.some((l) => l.code === 'not-member' && l.peer === carol.peerId), { timeoutMs: 15_000 })
  await delivered(bob, carol, 'still fine here')
  assert.ok(!(await carol.api.call('chat.history', { peerId: olivia.peerId })).some((m) => m.text === 'psst, from another company'))
  assert.notEqual((await olivia.api.call('chat.history', { peerId: carol.peerId })).find((m) => m.id === toCarol.id)?.state, 'delivered')
})
