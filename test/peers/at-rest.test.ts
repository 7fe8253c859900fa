import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { after, test } from 'node:test'
import { keysOnDisk, namedInKeys } from '../../src/store/test-key-scan.js'
import { enclaveWithEnv } from '../helpers/cli.js'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map(removeDataDir)) })

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

test('nothing a user wrote is readable in the data folders on disk', async () => {
  const canary = 'CANARY-9d1e-merger-plans'
  const aliceDir = await makeDataDir('alice')
  const bobDir = await makeDataDir('bob')
  dirs.push(aliceDir, bobDir)
  const alice: NodeProcess = await startNode(aliceDir, { env: { ENCLAVE_PASSPHRASE: 'alice passphrase' } })
  const bob: NodeProcess = await startNode(bobDir, { peers: [alice.address] })
  await alice.api.call('profile.set', { displayName: `Alice ${canary}` })
  const ws = await alice.api.call('workspaces.create', { name: `Acme ${canary}` })
  await bob.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  const sent = await alice.api.call('chat.send', { peerId: bob.peerId, text: `the ${canary} are final` })
  await waitFor('delivery', async () => (await alice.api.call('chat.history', { peerId: bob.peerId })).find((m) => m.id === sent.id)?.state === 'delivered')
  await bob.api.call('chat.send', { peerId: alice.peerId, text: `re: ${canary}` })
  await waitFor('the reply', async () => (await alice.api.call('chat.history', { peerId: bob.peerId })).length === 2)
  const dm = (await alice.api.call('conversations.open', { peerId: bob.peerId })).id
  await Promise.all([alice.stop(), bob.stop()])

  // Nor who talked to whom, in which workspace, when: no id or time in the clear in any file
  // (keys included: LevelDB does not seal them), and none in any key LevelDB itself reads back
  // (a file scan alone could miss a key split by prefix compression).
  const ids = [alice.peerId, bob.peerId, dm.slice(3), ws.id.slice(1)]
  let scanned = 0
  for (const file of [...await filesUnder(aliceDir), ...await filesUnder(bobDir)]) {
    const bytes = await readFile(file)
    scanned += bytes.byteLength
    assert.ok(!bytes.includes(canary), `plaintext found in ${file}`)
    if (!file.includes(`${sep}store${sep}`)) continue
    for (const id of ids) assert.ok(!bytes.includes(id), `${id} in the clear in ${file}`)
  }
  assert.ok(scanned > 10_000, 'the stores were written')
  for (const dir of [aliceDir, bobDir]) {
    const keys = await keysOnDisk(join(dir, 'store'))
    assert.ok(keys.length > 20, 'the store has keys')
    assert.deepEqual(namedInKeys(keys, ids, Date.now()), [])
  }

  // The passphrase is needed again: without it, or with a wrong one, the node will not start.
  const wrong = await enclaveWithEnv({ ENCLAVE_PASSPHRASE: 'guess' }, 'node', '--data', aliceDir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0')
  assert.equal(wrong.code, 1)
  assert.match(wrong.stderr, /wrong passphrase \(store-locked\)/)
  const none = await enclaveWithEnv({ ENCLAVE_PASSPHRASE: '' }, 'node', '--data', aliceDir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0')
  assert.equal(none.code, 1)
  assert.match(none.stderr, /locked with a passphrase.*\(store-locked\)/)
  const again = await startNode(aliceDir, { env: { ENCLAVE_PASSPHRASE: 'alice passphrase' } })
  assert.ok((await again.api.call('chat.history', { peerId: bob.peerId })).some((m) => m.text.includes(canary)))
  await again.stop()
})
