import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, test } from './fixtures.js'
import { acmeWithBob, shoot, show } from './ui-steps.js'

const MiB = 1024 * 1024

/** Bytes under `dir`, every file in every folder (a blob deleted while counted counts as gone). */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    total += await stat(join(entry.parentPath, entry.name)).then((s) => s.size, () => 0)
  }
  return total
}

/** A file of `mib` MiB on disk: one random MiB over and over (Playwright hands a path, not a buffer, to the page). */
async function bigFile(path: string, mib: number): Promise<void> {
  const block = randomBytes(MiB)
  const fh = await open(path, 'w')
  try {
    for (let i = 0; i < mib; i++) await fh.write(block)
  } finally {
    await fh.close()
  }
}

test('an upload stopped from the composer sends nothing, and the files after it still go', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await alice.page.getByRole('region', { name: /People/ }).getByRole('button', { name: 'Bob' }).click()

  // Three files picked at once: a big one (long enough to stop halfway), then two small ones. All
  // on disk: Playwright takes paths or buffers, not both, and no buffer over 50 MB.
  // In memory (tmpfs) where there is one: 300 MiB written to disk would still be flushing while
  // the next tests sync their stores.
  const scratch = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/enclave-upload-') : alice.node.dataDir
  const big = join(scratch, 'backup.tar')
  await bigFile(big, 300)
  const second = join(alice.node.dataDir, 'second.txt')
  await writeFile(second, 'the second file: never sent\n')
  const third = join(alice.node.dataDir, 'third.txt')
  await writeFile(third, 'the third file: sent after the stopped ones\n')
  await alice.page.locator('input[type=file][multiple]').setInputFiles([big, second, third])

  // Each file waiting or going has its row in the composer, with a way to stop it.
  const rows = alice.page.getByTestId('upload')
  await expect(rows).toHaveCount(3)
  await expect(rows.nth(0)).toContainText('backup.tar')
  await expect(rows.nth(1)).toContainText('second.txt')
  await expect(rows.nth(2)).toContainText('third.txt')
  // The one queued behind the big one is stopped before its turn…
  await alice.page.getByRole('button', { name: 'Stop sending second.txt' }).click()
  // Its row goes at once, though the big one ahead of it still uploads.
  await expect(rows).toHaveCount(2)
  // …and the big one once it is really under way (part of it is with the core already).
  await expect.poll(() => alice.page.evaluate(`document.querySelector('[data-testid=upload] progress').value`)).toBeGreaterThan(0)
  await shoot(alice.page, 'file-upload-rows', 900)
  await alice.page.getByRole('button', { name: 'Stop sending backup.tar' }).click()

  // Only the third one went: one card on Alice's side, and nothing said went wrong.
  const mine = alice.page.getByTestId('file')
  await expect(mine.filter({ hasText: 'third.txt' })).toHaveCount(1)
  await expect(rows).toHaveCount(0)
  await expect(mine).toHaveCount(1)
  await expect(alice.page.getByRole('alert')).toHaveCount(0)

  // Bob gets the third file whole, and nothing of the other two.
  await bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ }).click()
  const theirs = bob.page.getByTestId('file')
  await expect(theirs.filter({ hasText: 'third.txt' })).toHaveAttribute('data-state', 'complete')
  await expect(theirs).toHaveCount(1)
  expect((await bob.node.api.call('files.list', {})).map((f) => f.name)).toEqual(['third.txt'])
  expect((await alice.node.api.call('files.list', {})).map((f) => f.name)).toEqual(['third.txt'])

  // What the core sealed of the stopped upload is gone from Alice's store (dropped in the background).
  await expect.poll(() => bytesUnder(join(alice.node.dataDir, 'blobs')), { timeout: 30_000 }).toBeLessThan(5 * MiB)
  if (scratch !== alice.node.dataDir) await rm(scratch, { recursive: true })
})

test('a download paused while its only holder is away resumes when it is back', async ({ people }) => {
  const env = { ENCLAVE_FILE_AUTO_BYTES: String(MiB) }
  const alice = await people.open('Alice', { env })
  const bob = await people.open('Bob', { peers: [alice], env })

  const path = join(alice.node.dataDir, 'plans.zip')
  const data = randomBytes(24 * MiB)
  await writeFile(path, data)
  await alice.node.api.call('files.send', { peerId: bob.node.peerId, path })

  const conversations = bob.page.getByRole('region', { name: 'Conversations' })
  await expect(conversations.getByRole('button', { name: /Alice/ })).toContainText('File: plans.zip')
  await conversations.getByRole('button', { name: /Alice/ }).click()
  const card = bob.page.getByTestId('file').filter({ hasText: 'plans.zip' })
  await expect(card).toHaveAttribute('data-state', 'remote')

  // Alice, the only one who has it, goes away; Bob asks for it anyway and is told it waits for her.
  await alice.stop()
  await card.getByRole('button', { name: 'Download' }).click()
  await expect(card).toHaveAttribute('data-state', 'fetching')
  await expect(card.getByTestId('file-status')).toHaveText('Waiting for a colleague who has it to come online')
  await card.getByRole('button', { name: 'Pause' }).click()
  await expect(card).toHaveAttribute('data-state', 'paused')
  await expect(card.getByRole('button', { name: 'Resume' })).toBeVisible()
  await shoot(bob.page, 'file-card-paused', 900)

  // Alice is back (on a new port: Bob is told where). A paused file stays paused.
  await alice.restartNode()
  await bob.node.api.call('peers.dial', { address: alice.node.address })
  await alice.node.api.call('chat.send', { peerId: bob.node.peerId, text: 'back' })
  await expect(bob.page.getByTestId('message').filter({ hasText: /\bback\b/ })).toBeVisible()
  await expect(card).toHaveAttribute('data-state', 'paused')
  const [held] = await bob.node.api.call('files.list', {})
  expect(held?.state).toBe('paused')
  expect(held?.haveBytes).toBe(0)

  // Resumed by hand: it comes whole, byte for byte.
  await card.getByRole('button', { name: 'Resume' }).click()
  await expect(card).toHaveAttribute('data-state', 'complete', { timeout: 60_000 })
  await expect(card).toContainText('On this device')
  if (held === undefined) throw new Error('plans.zip not listed on Bob\'s side')
  const out = join(bob.node.dataDir, 'plans-copy.zip')
  await bob.node.api.call('files.save', { messageId: held.messageId, path: out })
  expect((await readFile(out)).equals(data)).toBe(true)
})

test('an admin sets the workspace\'s file and message rules in the console; a member\'s app refuses a blocked file and says why', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await acmeWithBob(alice, bob)

  await show(alice.page, 'Admin')
  const rules = alice.page.getByRole('region', { name: 'Files' })
  await rules.getByLabel('Largest file (MB)').fill('5')
  await rules.getByLabel('Blocked file types (extensions)').fill('exe, .ISO')
  await rules.getByRole('button', { name: 'Save file rules' }).click()
  await expect(rules.getByRole('status')).toBeVisible()
  await shoot(alice.page, 'admin-file-rules', 900)
  await expect.poll(async () => (await bob.node.api.call('workspaces.list', {}))[0]?.filePolicy.blocked, { timeout: 30_000 }).toEqual(['exe', 'iso'])

  // Bob picks a blocked file in the workspace's channel: nothing is sent, and the composer says why.
  await bob.page.getByRole('region', { name: 'Channels' }).getByRole('button', { name: /^general( |$)/ }).click()
  await bob.page.locator('input[type=file][multiple]').setInputFiles([{ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ not really a program') }])
  await expect(bob.page.getByRole('alert')).toContainText('Your workspace\'s file rules don\'t allow this')
  await expect(bob.page.getByTestId('file')).toHaveCount(0)

  // A recall time limit: it reaches Bob's device, and his fresh message can still be recalled.
  const messageRules = alice.page.getByRole('region', { name: 'Messages' })
  await messageRules.getByLabel('Members may recall their own messages').selectOption({ label: 'for 2 minutes after sending' })
  await expect(messageRules.getByRole('status')).toBeVisible()
  await messageRules.scrollIntoViewIfNeeded()
  await shoot(alice.page, 'admin-message-rules', 900)
  await expect.poll(async () => (await bob.node.api.call('conversations.list', {})).find((c) => c.kind === 'channel')?.recallMinutes, { timeout: 30_000 }).toBe(2)
  const composer = bob.page.getByRole('textbox', { name: /Message/ })
  await composer.fill('posted in the wrong channel')
  await composer.press('Enter')
  const mine = bob.page.getByTestId('message').filter({ hasText: 'posted in the wrong channel' })
  await mine.hover()
  await mine.getByRole('button', { name: 'Recall for everyone' }).click()
  await bob.page.getByRole('dialog').getByRole('button', { name: 'Recall for everyone' }).click()
  await expect(bob.page.getByTestId('message').filter({ hasText: 'You recalled a message' })).toBeVisible()
})
