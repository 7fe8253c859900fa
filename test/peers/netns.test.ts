import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { after, test } from 'node:test'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { capture, captureUnavailable, enclaveIn, explained, jsonIn, labScope, namespacesUnavailable, natUnavailable } from '../helpers/netns.js'
import { waitFor } from '../helpers/wait.js'
import type { MessageView, PeerView, NetHealthView } from '../../src/api/contract.js'

const exec = promisify(execFile)
const unavailable = await namespacesUnavailable()
if (unavailable !== null) process.stdout.write(`# netns tests skipped: ${unavailable}\n`)
const LONG = { timeoutMs: 60_000, intervalMs: 250 }
const noCapture = await captureUnavailable()
if (unavailable === null && noCapture !== null) process.stdout.write(`# relay capture check skipped: ${noCapture}\n`)
const CANARY = 'CANARY-5e1a-board-minutes'
const noNat = unavailable === null ? await natUnavailable() : unavailable
if (unavailable === null && noNat !== null) process.stdout.write(`# NAT test skipped: ${noNat}\n`)

const scope = labScope()
after(() => scope.cleanup())
const { dir, start } = scope

test('two devices with no route between them chat through the company relay, recover by themselves when it restarts, and go direct when a route appears', { skip: unavailable ?? false }, async () => {
  // a ── r ── b: the relay's namespace does not forward, so a and b cannot reach each other.
  const lab = await scope.lab(['r', 'a', 'b'])
  await lab.link('r', '10.77.1.1/24', 'a', '10.77.1.2/24')
  await lab.link('r', '10.77.2.1/24', 'b', '10.77.2.2/24')
  const [r, a, b] = [lab.ns('r'), lab.ns('a'), lab.ns('b')]
  await assert.rejects(exec('ip', ['-n', a, 'route', 'get', '10.77.2.2']), 'a has no route to b')

  const dirR = await dir('relay')
  const relayArgs = ['relay', '--allow-anyone', '--listen', '/ip4/10.77.1.1/tcp/4001', '--listen', '/ip4/10.77.2.1/tcp/4001']
  const relay = await start(r, dirR, relayArgs)
  const relayId = (await jsonIn<{ peerId: string }>(r, 'id', '--data', dirR)).peerId
  // Everything the relay's namespace carries, from before a and b first connect to it.
  const sniff = noCapture === null ? await capture(r, join(dirR, 'relay.pcap')) : null
  const [dirA, dirB] = [await dir('a'), await dir('b')]
  await start(a, dirA, ['node', '--no-mdns', '--listen', '/ip4/10.77.1.2/tcp/4002', '--relay', `/ip4/10.77.1.1/tcp/4001/p2p/${relayId}`])
  await start(b, dirB, ['node', '--no-mdns', '--listen', '/ip4/10.77.2.2/tcp/4002', '--relay', `/ip4/10.77.2.1/tcp/4001/p2p/${relayId}`])
  const aliceId = (await jsonIn<{ peerId: string }>(a, 'id', '--data', dirA)).peerId
  const bobId = (await jsonIn<{ peerId: string }>(b, 'id', '--data', dirB)).peerId
  const reserved = async (): Promise<boolean> => (await jsonIn<NetHealthView>(b, 'relay', 'status', '--data', dirB)).relays[0]?.reserved === true
  await waitFor('bob to hold a reservation on the relay', reserved, LONG)

  const dialed = await enclaveIn(a, 'dial', `/ip4/10.77.1.1/tcp/4001/p2p/${relayId}/p2p-circuit/p2p/${bobId}`, '--data', dirA)
  assert.equal(dialed.code, 0, dialed.stderr)
  const has = async (ns: string, dataDir: string, peer: string, text: string): Promise<boolean> =>
    (await jsonIn<MessageView[]>(ns, 'history', peer, '--data', dataDir)).some((m) => m.text === text)
  assert.equal((await enclaveIn(a, 'send', bobId, `hello across offices ${CANARY}`, '--data', dirA)).code, 0)
  await waitFor('bob to read alice through the relay', () => has(b, dirB, aliceId, `hello across offices ${CANARY}`), LONG)
  assert.equal((await enclaveIn(b, 'send', aliceId, `hello back ${CANARY}`, '--data', dirB)).code, 0)
  await waitFor('alice to read the reply', () => has(a, dirA, bobId, `hello back ${CANARY}`), LONG)
  // A file goes through the relay too ("send a file through R"), from the CLI on both sides, with
  // the canary all through it: the relay carries it sealed twice over (the file's key, then Noise).
  const plan = Buffer.alloc(3 * 1024 * 1024 + 123)
  for (let at = 0; at < plan.byteLength; at += 4096) plan.write(`${CANARY} ${at}`, at)
  await writeFile(join(dirA, 'plan.bin'), plan)
  const [sentFile] = await jsonIn<MessageView[]>(a, 'send-file', bobId, join(dirA, 'plan.bin'), '--data', dirA)
  if (sentFile === undefined) throw new Error('send-file printed no message')
  await waitFor('the file message to reach bob', async () => (await jsonIn<MessageView[]>(b, 'history', aliceId, '--data', dirB)).some((m) => m.id === sentFile.id), LONG)
  const got = await enclaveIn(b, 'get-file', sentFile.id, '--out', join(dirB, 'plan-copy.bin'), '--data', dirB)
  assert.equal(got.code, 0, got.stderr)
  assert.ok((await readFile(join(dirB, 'plan-copy.bin'))).equals(plan), 'the file arrived whole through the relay')
  if (sniff !== null) {
    const seen = await sniff.stop()
    // The capture works (it holds libp2p's cleartext protocol negotiation with the relay), and no
    // message crosses in the clear: inside the relay's Noise sessions runs a's and b's own.
    assert.ok(seen.includes('/noise'), 'the capture saw the relayed connections')
    assert.ok(!seen.includes(CANARY), 'plaintext crossed the relay')
  }

  // The relay crashes and comes back: nobody restarts or re-dials anything by hand.
  await relay.kill('SIGKILL')
  scope.forget(relay)
  await start(r, dirR, relayArgs)
  await waitFor('bob to reserve again', reserved, LONG)
  assert.equal((await enclaveIn(a, 'send', bobId, 'after the relay restarted', '--data', dirA)).code, 0)
  await waitFor('delivery after the restart', () => has(b, dirB, aliceId, 'after the relay restarted'), { timeoutMs: 120_000, intervalMs: 500 })
  const pathTo = async (peer: string): Promise<string | undefined> => (await jsonIn<PeerView[]>(a, 'peers', '--data', dirA)).find((p) => p.peerId === peer)?.path
  assert.equal(await pathTo(bobId), 'relayed')

  // A route appears (the middle starts forwarding, as a VPN or an office link would): the
  // conversation moves off the relay by itself.
  await exec('ip', ['netns', 'exec', r, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
  await exec('ip', ['-n', a, 'route', 'add', '10.77.2.0/24', 'via', '10.77.1.1'])
  await exec('ip', ['-n', b, 'route', 'add', '10.77.1.0/24', 'via', '10.77.2.1'])
  await waitFor('alice to reach bob directly', async () => await pathTo(bobId) === 'upgraded', LONG)
  assert.equal((await jsonIn<NetHealthView>(a, 'relay', 'status', '--data', dirA)).relayedConnections, 0)
  assert.equal((await enclaveIn(a, 'send', bobId, 'now directly', '--data', dirA)).code, 0)
  await waitFor('delivery on the direct path', () => has(b, dirB, aliceId, 'now directly'), LONG)
})

test('devices on one virtual LAN find each other by mDNS', { skip: unavailable ?? false }, async () => {
  const lab = await scope.lab(['c', 'd'])
  await lab.link('c', '10.78.0.1/24', 'd', '10.78.0.2/24', { multicast: true })
  const [c, d] = [lab.ns('c'), lab.ns('d')]
  const [dirC, dirD] = [await dir('c'), await dir('d')]
  // mDNS on: it multicasts only inside these namespaces.
  await start(c, dirC, ['node', '--listen', '/ip4/10.78.0.1/tcp/4002'])
  await start(d, dirD, ['node', '--listen', '/ip4/10.78.0.2/tcp/4002'])
  const dId = (await jsonIn<{ peerId: string }>(d, 'id', '--data', dirD)).peerId
  await waitFor('c to discover and connect to d', async () => (await jsonIn<PeerView[]>(c, 'peers', '--data', dirC)).some((p) => p.peerId === dId && p.connected), LONG)
})

test('a laptop behind a home NAT: reached through the relay, moved to a direct connection it opens itself, and reconnected by itself after its address changes and after sleep', { skip: noNat ?? false }, async () => {
  // a ── n (home router, NAT) ── r (relay, routes) ── b (office, public to r's side).
  // b can never open a connection to a: only a's NAT's address is routable, and it maps nothing in.
  const lab = await scope.lab(['r', 'n', 'a', 'b'])
  const upstream = await lab.link('r', '10.79.1.1/24', 'n', '10.79.1.2/24')
  await lab.link('n', '192.168.79.1/24', 'a', '192.168.79.2/24')
  await lab.link('r', '10.79.2.1/24', 'b', '10.79.2.2/24')
  const [r, a, b] = [lab.ns('r'), lab.ns('a'), lab.ns('b')]
  for (const router of ['r', 'n']) await lab.run(router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1')
  await lab.run('n', 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', upstream.devB, '-j', 'MASQUERADE')
  await lab.run('a', 'ip', 'route', 'add', 'default', 'via', '192.168.79.1')
  await lab.run('n', 'ip', 'route', 'add', 'default', 'via', '10.79.1.1')
  await lab.run('b', 'ip', 'route', 'add', '10.79.1.0/24', 'via', '10.79.2.1')
  await assert.rejects(exec('ip', ['-n', b, 'route', 'get', '192.168.79.2']), 'b has no route into the home network')

  const dirR = await dir('nat-relay')
  await start(r, dirR, ['relay', '--allow-anyone', '--listen', '/ip4/10.79.1.1/tcp/4001', '--listen', '/ip4/10.79.2.1/tcp/4001'])
  const relayId = (await jsonIn<{ peerId: string }>(r, 'id', '--data', dirR)).peerId
  const [dirA, dirB] = [await dir('nat-a'), await dir('nat-b')]
  // DCUtR (on in every node) punches holes only between public addresses (libp2p's isPrivate
  // covers every private and documentation range), and these tests may use only private ones.
  // What moves them off the relay here is the laptop dialling the office, which its NAT allows.
  const laptop = await start(a, dirA, ['node', '--no-mdns', '--listen', '/ip4/0.0.0.0/tcp/4002', '--relay', `/ip4/10.79.1.1/tcp/4001/p2p/${relayId}`])
  await start(b, dirB, ['node', '--no-mdns', '--listen', '/ip4/10.79.2.2/tcp/4002', '--relay', `/ip4/10.79.2.1/tcp/4001/p2p/${relayId}`])
  const aId = (await jsonIn<{ peerId: string }>(a, 'id', '--data', dirA)).peerId
  const bId = (await jsonIn<{ peerId: string }>(b, 'id', '--data', dirB)).peerId
  const reservedA = async (): Promise<boolean> => (await jsonIn<NetHealthView>(a, 'relay', 'status', '--data', dirA)).relays[0]?.reserved === true
  await waitFor('the laptop to hold a reservation through its NAT', reservedA, LONG)

  // The office dials the laptop through the relay (the only way in); then they go direct.
  const dialed = await enclaveIn(b, 'dial', `/ip4/10.79.2.1/tcp/4001/p2p/${relayId}/p2p-circuit/p2p/${aId}`, '--data', dirB)
  assert.equal(dialed.code, 0, dialed.stderr)
  const pathFromB = async (): Promise<string | undefined> => (await jsonIn<PeerView[]>(b, 'peers', '--data', dirB)).find((p) => p.peerId === aId)?.path
  await explained(waitFor('the relayed connection to be replaced by a direct one', async () => await pathFromB() === 'upgraded', LONG), a, dirA, 'the laptop')
  const has = async (ns: string, dataDir: string, peer: string, text: string): Promise<boolean> =>
    (await jsonIn<MessageView[]>(ns, 'history', peer, '--data', dataDir)).some((m) => m.text === text)
  const roundTrip = async (label: string): Promise<void> => {
    assert.equal((await enclaveIn(b, 'send', aId, `to the laptop ${label}`, '--data', dirB)).code, 0)
    await waitFor(`the laptop to read the office ${label}`, () => has(a, dirA, bId, `to the laptop ${label}`), LONG)
    assert.equal((await enclaveIn(a, 'send', bId, `to the office ${label}`, '--data', dirA)).code, 0)
    await waitFor(`the office to read the laptop ${label}`, () => has(b, dirB, aId, `to the office ${label}`), LONG)
  }
  await roundTrip('after hole punching')

  // The laptop gets a new address (a new DHCP lease): every connection it had is dead.
  const dev = await devOf(a, '192.168.79.2')
  await lab.run('a', 'ip', 'addr', 'del', '192.168.79.2/24', 'dev', dev)
  await lab.run('a', 'ip', 'addr', 'add', '192.168.79.3/24', 'dev', dev)
  await lab.run('a', 'ip', 'route', 'add', 'default', 'via', '192.168.79.1')
  await waitFor('the laptop to reserve on the relay again from its new address', reservedA, LONG)
  await roundTrip('after the address changed')

  // The laptop sleeps (its process frozen) long enough for everyone else to give up on it.
  laptop.child.kill('SIGSTOP')
  await waitFor('the relay to notice the laptop is gone', async () => !(await jsonIn<NetHealthView>(r, 'relay', 'status', '--data', dirR)).reservations.some((x) => x.peerId === aId && x.expiresAt > Date.now()) ||
    (await jsonIn<PeerView[]>(b, 'peers', '--data', dirB)).find((p) => p.peerId === aId)?.connected === false, { timeoutMs: 90_000, intervalMs: 1000 })
  laptop.child.kill('SIGCONT')
  await roundTrip('after sleep')
})

/** The interface holding `address` inside a namespace. */
async function devOf(ns: string, address: string): Promise<string> {
  const { stdout } = await exec('ip', ['-n', ns, '-o', '-4', 'addr', 'show'])
  const dev = stdout.split('\n').find((l) => l.includes(` ${address}/`))?.split(/\s+/)[1]
  if (dev === undefined) throw new Error(`no interface with ${address} in ${ns}`)
  return dev
}
