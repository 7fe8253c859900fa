import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ApiCallError } from '../../src/api/api-client.js'
import { enclaveWithEnv } from '../helpers/cli.js'
import { testNodes } from '../helpers/test-nodes.js'
import type { NodeProcess } from '../helpers/node-process.js'
import { historyTexts } from '../helpers/chat.js'
import { waitFor } from '../helpers/wait.js'
import { workspaceChannelId } from '../../src/identity/workspace-channel.js'
import type { MessageView, PeerIdString } from '../../src/api/contract.js'

const { start, stop, dir } = testNodes()
const PASS = 'backup passphrase for tests'

/** Sends once the restored device may write again (it catches up with a member first). */
async function sendWhenCaughtUp(node: NodeProcess, peerId: PeerIdString, text: string): Promise<MessageView> {
  return waitFor('the restored device to be allowed to write', async () => {
    try {
      return await node.api.call('chat.send', { peerId, text })
    } catch (err) {
      if (err instanceof ApiCallError && err.code === 'catching-up') return undefined
      throw err
    }
  }, { timeoutMs: 30_000 })
}

const texts = (node: NodeProcess, peerId: PeerIdString): Promise<string[]> => historyTexts(node, { peerId })

test('a device backed up to a folder and lost, its old self having gone on after the backup: restored from the CLI it is the same device with its history and files, waits until a member has caught it up, then takes numbers after its old self\'s', async () => {
  const aliceDir = await dir('alice')
  const alice = await start(aliceDir)
  const bobDir = await dir('bob')
  let bob = await start(bobDir, [alice.address])
  for (let i = 0; i < 5; i++) await alice.api.call('chat.send', { peerId: bob.peerId, text: `before ${i}` })
  await bob.api.call('chat.send', { peerId: alice.peerId, text: 'from bob before' })
  const report = join(await dir('files'), 'report.bin')
  const bytes = Buffer.alloc(600_000)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251
  await writeFile(report, bytes)
  const shared = await alice.api.call('files.send', { peerId: bob.peerId, path: report, caption: 'the report' })
  await waitFor('alice to have all 7', async () => (await texts(alice, bob.peerId)).length === 7)
  await waitFor('bob to have all 7', async () => (await texts(bob, alice.peerId)).length === 7)

  // Made and checked from the command line, as a script on her machine would.
  const usb = await dir('usb')
  const created = await enclaveWithEnv({ ENCLAVE_BACKUP_PASSPHRASE: PASS }, 'backup', 'create', '--to', usb, '--json', '--data', aliceDir)
  assert.equal(created.code, 0, created.stderr)
  const made = JSON.parse(created.stdout) as { file: string }
  assert.deepEqual(await readdir(usb), [made.file.slice(usb.length + 1)])
  assert.equal((await alice.api.call('backup.status', {})).lastBackup?.ok, true)
  const wrong = await enclaveWithEnv({ ENCLAVE_BACKUP_PASSPHRASE: 'not the passphrase' }, 'backup', 'verify', made.file)
  assert.equal(wrong.code, 1)
  assert.match(wrong.stderr, /wrong passphrase .*\(backup-locked\)/)
  // The old device goes on after the backup; then her disk dies with her data folder, while Bob is away.
  for (let i = 0; i < 3; i++) await alice.api.call('chat.send', { peerId: bob.peerId, text: `after backup ${i}` })
  await waitFor('bob to have 10', async () => (await texts(bob, alice.peerId)).length === 10)
  await stop(alice, 'kill')
  await rm(aliceDir, { recursive: true, force: true })
  await stop(bob)

  const newDir = join(await dir('new-machine'), 'enclave')
  const restored = await enclaveWithEnv({ ENCLAVE_BACKUP_PASSPHRASE: PASS }, 'backup', 'restore', made.file, '--data', newDir)
  assert.equal(restored.code, 0, restored.stderr)
  const again = await start(newDir)
  assert.equal(again.peerId, alice.peerId, 'the restored device is the same device')
  assert.deepEqual(await texts(again, bob.peerId), [...[0, 1, 2, 3, 4].map((i) => `before ${i}`), 'from bob before', 'the report'])
  // The file came back with it, whole, without fetching it from anyone.
  assert.equal((await again.api.call('files.get', { messageId: shared.id })).state, 'complete')
  const saved = join(await dir('saved'), 'report.bin')
  await again.api.call('files.save', { messageId: shared.id, path: saved })
  assert.deepEqual(await readFile(saved), bytes)
  assert.notEqual((await again.api.call('backup.status', {})).restoredFrom, null)
  // Bob is away: it may not write yet (its next number may be one its old self took).
  await assert.rejects(again.api.call('chat.send', { peerId: bob.peerId, text: 'too early' }), (err: unknown) => err instanceof ApiCallError && err.code === 'catching-up')
  const dmState = async (): Promise<string | null | undefined> => (await again.api.call('conversations.list', {})).find((c) => c.peerId === bob.peerId)?.afterRestore
  assert.equal(await dmState(), 'catching-up', 'the app is told, to say so above the composer')

  bob = await start(bobDir, [again.address])
  await waitFor('the old device\'s later messages to reach the restored one', async () => (await texts(again, bob.peerId)).includes('after backup 2'), { timeoutMs: 30_000 })
  const sent = await sendWhenCaughtUp(again, bob.peerId, 'alice is back')
  assert.equal(sent.text, 'alice is back')
  assert.equal(await dmState(), null)
  await waitFor('bob to receive what the restored device sent', async () => (await texts(bob, alice.peerId)).includes('alice is back'), { timeoutMs: 30_000 })
  assert.deepEqual((await texts(bob, alice.peerId)).filter((t) => t !== 'from bob before' && t !== 'the report'), [...[0, 1, 2, 3, 4].map((i) => `before ${i}`), 'after backup 0', 'after backup 1', 'after backup 2', 'alice is back'])
  await bob.api.call('chat.send', { peerId: alice.peerId, text: 'from bob after' })
  await waitFor('the restored device to receive a new message', async () => (await texts(again, bob.peerId)).includes('from bob after'), { timeoutMs: 30_000 })
})

test('in a workspace: a rule forbidding backups holds on a member\'s device; a restored owner reads what its old self posted; a channel its old self changed after the backup stays read-only with a clear error, its DM goes on', async () => {
  const aliceDir = await dir('alice3')
  const alice = await start(aliceDir)
  const bob = await start(await dir('bob3'), [alice.address])
  await alice.api.call('profile.set', { displayName: 'Alice' })
  const ws = await alice.api.call('workspaces.create', { name: 'Acme' })
  await bob.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  const general = workspaceChannelId(ws.id)
  const channelTexts = async (node: NodeProcess): Promise<string[]> => (await node.api.call('chat.history', { conversationId: general, limit: 100 })).map((m) => m.text)
  await waitFor('bob in #general', async () => (await bob.api.call('conversations.list', {})).find((c) => c.id === general)?.status === 'active', { timeoutMs: 30_000 })
  await alice.api.call('chat.send', { conversationId: general, text: 'welcome to Acme' })
  await waitFor('bob to read it', async () => (await channelTexts(bob)).includes('welcome to Acme'))

  // The workspace forbids backups: Bob's device refuses to make or schedule one, and Bob cannot lift the rule.
  const usb = await dir('usb3')
  assert.equal((await bob.api.call('backup.status', {})).policy, 'optional')
  await alice.api.call('workspaces.setBackupPolicy', { workspaceId: ws.id, backups: 'forbidden' })
  await waitFor('bob to learn the rule', async () => (await bob.api.call('backup.status', {})).policy === 'forbidden', { timeoutMs: 30_000 })
  const blocked = (err: unknown): boolean => err instanceof ApiCallError && err.code === 'blocked-by-policy'
  await assert.rejects(bob.api.call('backup.create', { folder: usb, passphrase: PASS }), blocked)
  await assert.rejects(bob.api.call('backup.setSchedule', { schedule: { folder: usb, everyHours: 24, keep: 3, passphrase: PASS } }), blocked)
  await assert.rejects(bob.api.call('workspaces.setBackupPolicy', { workspaceId: ws.id, backups: 'optional' }))
  assert.deepEqual(await readdir(usb), [])
  // Then it requires them: Bob is told, and the owner makes hers.
  await alice.api.call('workspaces.setBackupPolicy', { workspaceId: ws.id, backups: 'required' })
  await waitFor('bob to learn the new rule', async () => (await bob.api.call('backup.status', {})).policy === 'required', { timeoutMs: 30_000 })
  const made = await alice.api.call('backup.create', { folder: usb, passphrase: PASS })
  await alice.api.call('chat.send', { conversationId: general, text: 'after the backup' })
  await waitFor('bob to read the later post', async () => (await channelTexts(bob)).includes('after the backup'))
  // A third member joins after the backup: the old device, committer of #general, adds her.
  const carol = await start(await dir('carol3'), [alice.address])
  await carol.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  await waitFor('carol in #general', async () => (await carol.api.call('conversations.list', {})).find((c) => c.id === general)?.status === 'active', { timeoutMs: 30_000 })
  await stop(alice, 'kill')

  const newDir = join(await dir('new-machine3'), 'enclave')
  const restored = await enclaveWithEnv({ ENCLAVE_BACKUP_PASSPHRASE: PASS }, 'backup', 'restore', made.file, '--data', newDir)
  assert.equal(restored.code, 0, restored.stderr)
  const again = await start(newDir, [bob.address])
  assert.ok((await channelTexts(again)).includes('welcome to Acme'))
  await waitFor('the old device\'s later post to reach the restored one', async () => (await channelTexts(again)).includes('after the backup'), { timeoutMs: 30_000 })
  // Its own commit is proof the old device changed the group; the restored one cannot follow it.
  await waitFor('the restored device to see its old self\'s commit', () => again.logs.some((l) => l.msg === 'the old device changed this conversation after the backup'), { timeoutMs: 30_000 })
  await assert.rejects(again.api.call('chat.send', { conversationId: general, text: 'lost?' }), (err: unknown) => err instanceof ApiCallError && err.code === 'catching-up' && /old device/.test(err.message))
  assert.equal((await again.api.call('conversations.list', {})).find((c) => c.id === general)?.afterRestore, 'changed')
  // Its DM with Bob, which the old device did not change, works as before.
  await sendWhenCaughtUp(again, bob.peerId, 'my channel needs re-adding')
  await waitFor('bob to receive the DM', async () => (await texts(bob, alice.peerId)).includes('my channel needs re-adding'), { timeoutMs: 30_000 })
})
