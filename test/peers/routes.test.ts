import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import { makeDataDir, removeDataDir, startNode, type NodeProcess, startAll } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'

// Workspace peer routing: a member who only ever met the inviter reaches every colleague, and a
// colleague who moved to another address is found again through the others.
let alice: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
let dave: NodeProcess | undefined

before(async () => {
  ;[alice, bob, carol] = await startAll([startNode(await makeDataDir('alice')), startNode(await makeDataDir('bob')), startNode(await makeDataDir('carol'))])
})

after(async () => {
  const all = [alice, bob, carol, ...(dave === undefined ? [] : [dave])]
  await Promise.all(all.map((n) => n.stop()))
  await Promise.all(all.map((n) => removeDataDir(n.dataDir)))
})

async function delivered(from: NodeProcess, to: NodeProcess, text: string): Promise<void> {
  const sent = await from.api.call('chat.send', { peerId: to.peerId, text })
  await waitFor(`"${text}" delivered`, async () => (await from.api.call('chat.history', { peerId: to.peerId })).find((m) => m.id === sent.id)?.state === 'delivered', { timeoutMs: 30_000 })
  await waitFor(`"${text}" shown to the recipient`, async () => (await to.api.call('chat.history', { peerId: from.peerId })).some((m) => m.text === text))
}

const connectedTo = async (node: NodeProcess, peer: NodeProcess): Promise<boolean> =>
  (await node.api.call('peers.list', {})).some((p) => p.peerId === peer.peerId && p.connected)

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

test('members who only met the inviter reach each other, and find a colleague again after it moved', async () => {
  const ws = await alice.api.call('workspaces.create', { name: 'Acme' })
  // Bob and Carol are only ever given Alice's invite link (which names Alice's address).
  await bob.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  await carol.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  assert.equal(await connectedTo(bob, carol), false, 'nobody introduced Bob to Carol')

  await delivered(bob, carol, 'hello Carol, Alice told me where you are')
  await delivered(carol, bob, 'hi Bob')

  dave = await startNode(await makeDataDir('dave'))
  await dave.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  await delivered(dave, carol, 'Dave here, first day')

  // Carol comes back on another port: the address every colleague held for her is dead.
  const oldAddress = carol.address
  await carol.stop()
  const port = await freePort()
  carol = await startNode(carol.dataDir, { listen: [`/ip4/127.0.0.1/tcp/${port}`] })
  assert.notEqual(carol.address, oldAddress)
  assert.ok(carol.address.includes(`/tcp/${port}/`))

  await delivered(dave, carol, 'are you back?')
  await delivered(bob, carol, 'welcome back')
})
