// What `npm run demo` puts in front of a newcomer: Alice's workspace with Bob and Carol in it,
// two departments, a few posts in the workspace's channel and a board. Only through the API, as
// any shell would; every step first looks whether it was done already, so a second run (data dirs
// kept) changes nothing and never makes a second workspace.
import * as Y from 'yjs'
import { waitFor } from '../wait-for.js'
import type { ApiClient } from '../api/api-client.js'
import type { DepartmentId, DocView, PeerIdString, WorkspaceView } from '../api/contract.js'

export interface DemoPerson {
  name: string
  api: ApiClient
  peerId: PeerIdString
}

export interface DemoWorkspace {
  workspace: WorkspaceView
  departments: Record<string, DepartmentId>
  board: DocView
}

export const DEMO_WORKSPACE = 'Acme'
export const DEMO_BOARD = 'Launch plan'
/** Each person's title and department, by name; the first person is the owner. */
const PEOPLE: Record<string, { title: string; department: string }> = {
  Alice: { title: 'Head of Product', department: 'Product' },
  Bob: { title: 'Backend engineer', department: 'Engineering' },
  Carol: { title: 'Designer', department: 'Product' }
}
const DEPARTMENTS = ['Engineering', 'Product']
const POSTS: Array<[author: string, text: string]> = [
  ['Alice', 'Welcome to Acme on Enclave! Everything here is end-to-end encrypted and never leaves our devices.'],
  ['Bob', 'Hi all. The beta build is ready for testing on Thursday.'],
  ['Carol', 'Great! I put the launch plan on a board in Notes & boards.']
]
/** Joining and channel welcomes cross three processes; a slow machine needs a while. */
const STEP_MS = 60_000

/** Sets up (or finds) the demo workspace; `people[0]` owns it. Safe to run again on the same data. */
export async function setUpDemoWorkspace(people: readonly DemoPerson[]): Promise<DemoWorkspace> {
  const [owner, ...others] = people
  if (owner === undefined) throw new Error('the demo needs at least one person')
  const workspace = await ownWorkspace(owner)
  const ws = workspace.id

  for (const p of others) {
    if ((await p.api.call('workspaces.list', {})).some((w) => w.id === ws)) continue
    const invite = await owner.api.call('workspaces.invite', { workspaceId: ws })
    await p.api.call('workspaces.join', { link: invite.link })
  }

  // Departments and profiles: the owner, as admin, fills in the directory.
  let departments = await owner.api.call('workspaces.departments', { workspaceId: ws })
  for (const name of DEPARTMENTS) {
    if (!departments.some((d) => d.name === name && d.parentId === null)) {
      departments = await owner.api.call('workspaces.saveDepartment', { workspaceId: ws, parentId: null, name })
    }
  }
  const departmentIds = Object.fromEntries(departments.map((d) => [d.name, d.id]))
  for (const p of people) {
    const member = await waitFor(`${p.name} in ${owner.name}'s member list`, async () =>
      (await owner.api.call('workspaces.members', { workspaceId: ws })).find((m) => m.devices.includes(p.peerId) && m.status === 'active'), { timeoutMs: STEP_MS })
    const wanted = PEOPLE[p.name]
    if (wanted === undefined) continue
    if (member.title !== wanted.title) await owner.api.call('workspaces.updateProfile', { workspaceId: ws, userId: member.userId, profile: { name: member.name, title: wanted.title } })
    const dept = departmentIds[wanted.department]
    if (dept !== undefined && !member.departments.includes(dept)) await owner.api.call('workspaces.assign', { workspaceId: ws, userId: member.userId, departments: [dept] })
  }

  await post(people, workspace)
  const board = await ensureBoard(owner, workspace)
  return { workspace: await current(owner, ws), departments: departmentIds, board }
}

async function ownWorkspace(owner: DemoPerson): Promise<WorkspaceView> {
  const mine = (await owner.api.call('workspaces.list', {})).find((w) => w.name === DEMO_WORKSPACE && w.role === 'owner')
  return mine ?? owner.api.call('workspaces.create', { name: DEMO_WORKSPACE })
}

async function current(owner: DemoPerson, ws: WorkspaceView['id']): Promise<WorkspaceView> {
  const w = (await owner.api.call('workspaces.list', {})).find((x) => x.id === ws)
  if (w === undefined) throw new Error('the demo workspace went away')
  return w
}

/** The channel's first posts, once: each author waits to have read the post before, so they read in order. */
async function post(people: readonly DemoPerson[], workspace: WorkspaceView): Promise<void> {
  const conversationId = workspace.channelId
  const byName = new Map(people.map((p) => [p.name, p]))
  for (const p of people) {
    await waitFor(`${p.name} in #general`, async () =>
      (await p.api.call('conversations.list', {})).some((c) => c.id === conversationId && c.status === 'active'), { timeoutMs: STEP_MS })
  }
  const owner = people[0]
  if (owner === undefined || (await owner.api.call('chat.history', { conversationId, limit: 1 })).length > 0) return
  let seen = 0
  for (const [name, text] of POSTS) {
    const author = byName.get(name)
    if (author === undefined) continue
    await waitFor(`${name} to have the earlier posts`, async () => (await author.api.call('chat.history', { conversationId })).length >= seen, { timeoutMs: STEP_MS })
    await author.api.call('chat.send', { conversationId, text })
    seen++
  }
}

/** The workspace's board, with a few sticky notes on it (the renderer's board model: one plain object per shape in `shapes`). */
async function ensureBoard(owner: DemoPerson, workspace: WorkspaceView): Promise<DocView> {
  const conversationId = workspace.channelId
  const existing = (await owner.api.call('docs.list', { conversationId })).find((d) => d.kind === 'board' && d.title === DEMO_BOARD)
  if (existing !== undefined) return existing
  const board = await owner.api.call('docs.create', { kind: 'board', title: DEMO_BOARD, conversationId })
  const doc = new Y.Doc()
  const shapes = doc.getMap('shapes')
  const notes = ['Beta on Thursday', 'Release notes (Bob)', 'New icons (Carol)']
  notes.forEach((text, i) => {
    shapes.set(`demo-${i}`, { type: 'sticky', x: 80 + i * 240, y: 80, w: 200, h: 200, color: '#f5b800', width: 2, text, size: 18, z: i + 1, author: owner.name })
  })
  shapes.set('demo-arrow', { type: 'arrow', x: 80, y: 320, w: 640, h: 0, points: [0, 0, 6400, 0], color: '#1971c2', width: 4, z: 10, author: owner.name })
  await owner.api.call('docs.update', { docId: board.id, update: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64') })
  return board
}
