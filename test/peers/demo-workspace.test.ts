import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { DEMO_BOARD, DEMO_WORKSPACE, setUpDemoWorkspace, type DemoPerson } from '../../src/cli/demo-workspace.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'

// `npm run demo`'s setup step against three real nodes in temp dirs, run twice as a re-run would
// (the second time after restarting every node on its data).
const NAMES = ['Alice', 'Bob', 'Carol'] as const
let nodes: NodeProcess[] = []
const dirs: string[] = []

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  await Promise.all(dirs.map(removeDataDir))
})

/** Starts the three in order, each dialling the ones before (as scripts/demo-peers.js does). */
async function startAll(): Promise<DemoPerson[]> {
  nodes = []
  for (const [i, name] of NAMES.entries()) {
    dirs[i] ??= await makeDataDir(name.toLowerCase())
    nodes.push(await startNode(dirs[i] ?? '', { peers: nodes.map((n) => n.address) }))
  }
  await Promise.all(nodes.map((n, i) => n.api.call('profile.set', { displayName: NAMES[i] ?? '' })))
  return nodes.map((n, i) => ({ name: NAMES[i] ?? '', api: n.api, peerId: n.peerId }))
}

async function describe(people: DemoPerson[]): Promise<unknown> {
  const [alice] = people
  assert.ok(alice !== undefined)
  const workspaces = await Promise.all(people.map((p) => p.api.call('workspaces.list', {})))
  const ws = workspaces[0]?.[0]
  assert.ok(ws !== undefined)
  const members = await alice.api.call('workspaces.members', { workspaceId: ws.id })
  const departments = await alice.api.call('workspaces.departments', { workspaceId: ws.id })
  const posts = await alice.api.call('chat.history', { conversationId: ws.channelId })
  const docs = await alice.api.call('docs.list', { conversationId: ws.channelId })
  return {
    workspaces: workspaces.map((list) => list.map((w) => `${w.id} ${w.name} ${w.status}`)),
    members: members.map((m) => `${m.name} ${m.role} ${m.status} ${m.title ?? ''} ${m.departments.map((d) => departments.find((x) => x.id === d)?.name).join(',')}`).sort(),
    departments: departments.map((d) => d.name).sort(),
    posts: posts.map((m) => m.text.slice(0, 12)),
    boards: docs.filter((d) => d.kind === 'board').map((d) => d.title)
  }
}

test('the demo starts Alice, Bob and Carol in one workspace with a channel, two departments and a board, and a re-run makes nothing twice', async () => {
  const first = await setUpDemoWorkspace(await startAll())
  assert.equal(first.workspace.name, DEMO_WORKSPACE)
  assert.equal(first.workspace.memberCount, 3)
  assert.equal(first.board.kind, 'board')
  const people = nodes.map((n, i) => ({ name: NAMES[i] ?? '', api: n.api, peerId: n.peerId }))
  const before = await describe(people)
  const ws = `${first.workspace.id} ${DEMO_WORKSPACE} active`
  assert.deepEqual(before, {
    workspaces: [[ws], [ws], [ws]],
    members: ['Alice owner active Head of Product Product', 'Bob member active Backend engineer Engineering', 'Carol member active Designer Product'],
    departments: ['Engineering', 'Product'],
    posts: ['Welcome to A', 'Hi all. The ', 'Great! I put'],
    boards: [DEMO_BOARD]
  })

  await Promise.all(nodes.map((n) => n.stop()))
  const again = await setUpDemoWorkspace(await startAll())
  assert.equal(again.workspace.id, first.workspace.id)
  assert.equal(again.board.id, first.board.id)
  assert.deepEqual(await describe(nodes.map((n, i) => ({ name: NAMES[i] ?? '', api: n.api, peerId: n.peerId }))), before)
})
