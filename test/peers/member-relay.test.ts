import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { after, test } from 'node:test'
import { enclaveIn, explained, jsonIn, labScope, namespacesUnavailable } from '../helpers/netns.js'
import { waitFor } from '../helpers/wait.js'
import type { MessageView, PeerView, WorkspaceView } from '../../src/api/contract.js'

const exec = promisify(execFile)
const unavailable = await namespacesUnavailable()
if (unavailable !== null) process.stdout.write(`# member relay test skipped: ${unavailable}\n`)
const LONG = { timeoutMs: 60_000, intervalMs: 250 }

const scope = labScope()
after(() => scope.cleanup())
const { dir } = scope

test('offices in a line a – b – c with no company relay: a and c talk through b\'s device, stop when an admin turns member relaying off, and channel posts still reach c through b\'s copy', { skip: unavailable ?? false }, async () => {
  // b's namespace does not forward: a and c have no route to each other, b reaches both.
  const lab = await scope.lab(['a', 'b', 'c'])
  await lab.link('a', '10.78.1.2/24', 'b', '10.78.1.1/24')
  await lab.link('b', '10.78.2.1/24', 'c', '10.78.2.2/24')
  const [a, b, c] = [lab.ns('a'), lab.ns('b'), lab.ns('c')]
  await assert.rejects(exec('ip', ['-n', a, 'route', 'get', '10.78.2.2']), 'a has no route to c')

  const [dirA, dirB, dirC] = [await dir('a'), await dir('b'), await dir('c')]
  await scope.start(b, dirB, ['node', '--no-mdns', '--listen', '/ip4/10.78.1.1/tcp/4001', '--listen', '/ip4/10.78.2.1/tcp/4001'])
  await scope.start(a, dirA, ['node', '--no-mdns', '--listen', '/ip4/10.78.1.2/tcp/4002'])
  await scope.start(c, dirC, ['node', '--no-mdns', '--listen', '/ip4/10.78.2.2/tcp/4002'])
  const ws = await jsonIn<WorkspaceView>(b, 'workspace', 'create', 'Acme', '--data', dirB)
  assert.equal(ws.memberRelay, true, 'member relaying is on by default')
  for (const [ns, d] of [[a, dirA], [c, dirC]] as const) {
    const invite = await jsonIn<{ link: string }>(b, 'invite', '--data', dirB)
    await jsonIn(ns, 'join', invite.link, '--data', d)
  }
  const id = async (ns: string, d: string): Promise<string> => (await jsonIn<{ peerId: string }>(ns, 'id', '--data', d)).peerId
  const [aliceId, bobId, carolId] = [await id(a, dirA), await id(b, dirB), await id(c, dirC)]
  const has = async (ns: string, d: string, peer: string, text: string): Promise<boolean> =>
    (await jsonIn<MessageView[]>(ns, 'history', peer, '--data', d)).some((m) => m.text === text)
  const peerOf = async (ns: string, d: string, peer: string): Promise<PeerView | undefined> => (await jsonIn<PeerView[]>(ns, 'peers', '--data', d)).find((p) => p.peerId === peer)

  // a knows only b; b's colleagues' routes tell a that c is reachable through b.
  assert.equal((await enclaveIn(a, 'send', carolId, 'hello c, from the other office', '--data', dirA)).code, 0)
  await waitFor('c to read a\'s message, carried by b', () => has(c, dirC, aliceId, 'hello c, from the other office'), LONG)
  assert.equal((await peerOf(a, dirA, carolId))?.path, 'relayed')
  assert.equal((await enclaveIn(c, 'send', aliceId, 'hello back', '--data', dirC)).code, 0)
  await explained(waitFor('a to read c\'s reply', () => has(a, dirA, carolId, 'hello back'), LONG), c, dirC, 'c')

  // The admin turns member relaying off: b stops carrying a's and c's traffic.
  const off = await enclaveIn(b, 'call', 'workspaces.setMemberRelay', JSON.stringify({ workspaceId: ws.id, enabled: false }), '--data', dirB)
  assert.equal(off.code, 0, off.stderr)
  await waitFor('the policy to reach a and c', async () => {
    const views = await Promise.all([[a, dirA], [c, dirC]].map(async ([ns, d]) => jsonIn<WorkspaceView[]>(ns ?? '', 'workspace', 'list', '--data', d ?? '')))
    return views.every((list) => list.find((w) => w.id === ws.id)?.memberRelay === false)
  }, LONG)
  await waitFor('a\'s relayed connection to c to close', async () => (await peerOf(a, dirA, carolId))?.connected !== true, LONG)
  assert.equal((await enclaveIn(a, 'send', carolId, 'after relaying was turned off', '--data', dirA)).code, 0)
  // Witness: a later message of a reaches b, who is directly reachable.
  assert.equal((await enclaveIn(a, 'send', bobId, 'still here', '--data', dirA)).code, 0)
  await waitFor('b to read a\'s later message', () => has(b, dirB, aliceId, 'still here'), LONG)
  assert.equal(await has(c, dirC, aliceId, 'after relaying was turned off'), false)
  assert.notEqual((await peerOf(a, dirA, carolId))?.connected, true)

  // No path between a and c at all now, yet a's channel post reaches c: b holds a copy, tells c
  // it has more of a's envelopes than c, and c fetches them from b.
  const channel = await jsonIn<{ id: string }>(b, 'channel', 'create', 'ops', '--workspace', ws.id, '--member', aliceId, '--member', carolId, '--data', dirB)
  const inChannel = async (ns: string, d: string): Promise<boolean> => (await jsonIn<Array<{ id: string; status: string }>>(ns, 'conversations', '--data', d)).some((x) => x.id === channel.id && x.status === 'active')
  await waitFor('a and c in the channel', async () => await inChannel(a, dirA) && await inChannel(c, dirC), LONG)
  assert.equal((await enclaveIn(a, 'send', channel.id, 'for everyone in ops', '--data', dirA)).code, 0)
  await waitFor('c to read a\'s post, fetched from b\'s copy', () => has(c, dirC, channel.id, 'for everyone in ops'), LONG)
  assert.notEqual((await peerOf(c, dirC, aliceId))?.connected, true, 'c never reached a')
})
