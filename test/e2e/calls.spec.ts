import { expect, test } from './fixtures.js'
import { readFile } from 'node:fs/promises'
import type { Locator, Page } from '@playwright/test'

/** Frames a sealing sender encoded, and what a receiver decoded and refused of them. */
interface Pair { encoded: number; decoded: number; refused: number }

async function openChatWith(page: Page, name: string): Promise<void> {
  await page.getByRole('region', { name: /People|联系人/ }).getByRole('button', { name }).click()
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible()
}

/** The call details' row of the other participant (figures read from WebRTC's stats twice a second). */
function detailRow(page: Page): Locator {
  return page.getByTestId('call-details').locator('li').first()
}

async function figure(row: Locator, name: string): Promise<number> {
  return Number(await row.getAttribute(`data-${name}`) ?? 0)
}

/** What a row shows, printed whole when a figure does not move. */
const FIGURES = ['frames-decoded', 'frames-opened', 'frames-refused', 'audio-received', 'audio-sent', 'fingerprint']

/** Waits until a figure of the row passes `above` (the stats move on by themselves). */
async function passes(row: Locator, name: string, above: number): Promise<number> {
  const all = async (): Promise<string> => JSON.stringify(Object.fromEntries(await Promise.all(FIGURES.map(async (f) => [f, await row.getAttribute(`data-${f}`)]))))
  await expect.poll(() => figure(row, name), { timeout: 30_000, message: `${name} above ${above}` }).toBeGreaterThan(above).catch(async (err: unknown) => {
    throw new Error(`${String(err)}\nthe row: ${await all()}`)
  })
  return figure(row, name)
}

test('Alice video calls Bob: each decodes the other\'s sealed frames, muting stops her audio packets, and leaving ends the call', async ({ people }) => {
  // Two people's media on two cores: a loaded machine takes its time, and each step waits on stats.
  test.setTimeout(150_000)
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await openChatWith(alice.page, 'Bob')

  // The call is the first thing in the conversation: its group is set up for it.
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click()
  const stage = alice.page.getByTestId('call-stage')
  await expect(stage).toBeVisible()
  const card = bob.page.getByRole('alertdialog', { name: 'Alice is video calling' })
  await expect(card).toBeVisible()
  await card.getByRole('button', { name: 'Answer', exact: true }).click()
  await expect(bob.page.getByTestId('call-stage')).toBeVisible()
  await expect(card).toHaveCount(0)

  for (const page of [alice.page, bob.page]) await page.getByTestId('call-stage').getByRole('button', { name: 'Details' }).click()
  const [atAlice, atBob] = [detailRow(alice.page), detailRow(bob.page)]
  // Frames went through the worker both ways: sealed with the conversation's key, opened with it.
  await passes(atAlice, 'frames-decoded', 20)
  await passes(atBob, 'frames-decoded', 20)
  await expect(atAlice).toHaveAttribute('data-fingerprint', 'checked')
  await expect(atBob).toHaveAttribute('data-fingerprint', 'checked')
  expect(await figure(atBob, 'frames-refused')).toBe(0)
  await passes(atBob, 'audio-received', 20)

  // Muted, Alice sends no audio at all: her count stands still while Bob keeps decoding her video.
  await stage.getByRole('button', { name: 'Mute' }).click()
  await expect(bob.page.getByTestId('call-stage').getByText('Muted')).toBeVisible()
  let frames = await passes(atBob, 'frames-decoded', await figure(atBob, 'frames-decoded') + 15)
  const sent = await figure(atAlice, 'audio-sent')
  const heard = await figure(atBob, 'audio-received')
  frames = await passes(atBob, 'frames-decoded', frames + 30)
  await passes(atAlice, 'audio-sent', -1)
  expect(await figure(atAlice, 'audio-sent')).toBe(sent)
  expect(await figure(atBob, 'audio-received')).toBeLessThanOrEqual(heard + 2)
  await stage.getByRole('button', { name: 'Unmute' }).click()
  await passes(atAlice, 'audio-sent', sent + 10)
  // The devices panel: the microphone's level moves with the (fake) microphone's beeps.
  await stage.getByRole('button', { name: 'Devices' }).click()
  await expect.poll(async () => Number(await stage.getByRole('meter', { name: 'Microphone level' }).getAttribute('aria-valuenow')), { timeout: 20_000 }).toBeGreaterThan(3)
  // Another microphone: its track takes the old one's place, still sealed, and Bob hears it.
  await stage.getByRole('combobox', { name: 'Microphone' }).selectOption({ label: 'Fake Audio Input 1' })
  await passes(atBob, 'audio-received', await figure(atBob, 'audio-received') + 25)
  expect(await figure(atBob, 'frames-refused')).toBe(0)

  // Bob leaves: in a call of two, Alice's ends too.
  await bob.page.getByTestId('call-stage').getByRole('button', { name: 'Leave' }).click()
  await expect(bob.page.getByTestId('call-stage')).toHaveCount(0)
  await expect(stage).toHaveCount(0)
  expect(frames).toBeGreaterThan(0)
})

test('three in a channel call: each decodes both others; a member taken out of the channel drops out, the rest go on with a new key, and the next call does not ring for them', async ({ people }) => {
  test.setTimeout(180_000)
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  const carol = await people.open('Carol', { peers: [alice] })
  const ws = await alice.node.api.call('workspaces.create', { name: 'Acme' })
  for (const p of [bob, carol]) await p.node.api.call('workspaces.join', { link: (await alice.node.api.call('workspaces.invite', { workspaceId: ws.id })).link })
  const channel = await alice.node.api.call('channels.create', { workspaceId: ws.id, name: 'standup', members: [bob.node.peerId, carol.node.peerId] })
  for (const p of [alice, bob, carol]) {
    await expect.poll(async () => (await p.node.api.call('conversations.list', {})).find((c) => c.id === channel.id)?.members.length, { timeout: 60_000 }).toBe(3)
  }
  await alice.page.getByRole('region', { name: 'Channels' }).getByRole('button', { name: /standup/ }).click()
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click()
  for (const p of [bob, carol]) {
    const card = p.page.getByRole('alertdialog', { name: 'Alice is video calling' })
    await expect(card).toContainText('#standup')
    await card.getByRole('button', { name: 'Answer', exact: true }).click()
  }
  for (const p of [alice, bob, carol]) await p.page.getByTestId('call-stage').getByRole('button', { name: 'Details' }).click()
  const row = (p: Page, of: { node: { peerId: string } }): Locator => p.getByTestId('call-details').locator(`li[data-device="${of.node.peerId}"]`)
  // A mesh: every device decodes both others.
  for (const [p, others] of [[alice, [bob, carol]], [bob, [alice, carol]], [carol, [alice, bob]]] as const) {
    for (const o of others) await passes(row(p.page, o), 'frames-decoded', 20)
  }

  // Carol is taken out of the channel: her device leaves the group, so the call; Alice and Bob
  // go on under the next epoch's key, still decoding each other.
  await alice.node.api.call('channels.remove', { conversationId: channel.id, peerId: carol.node.peerId })
  await expect(carol.page.getByTestId('call-stage')).toHaveCount(0, { timeout: 60_000 })
  await expect(row(alice.page, carol)).toHaveCount(0)
  const before = await figure(row(bob.page, alice), 'frames-decoded')
  await passes(row(bob.page, alice), 'frames-decoded', before + 60)
  await passes(row(alice.page, bob), 'frames-decoded', await figure(row(alice.page, bob), 'frames-decoded') + 60)

  // The next call rings Bob, never Carol: she is told nothing and holds no key for it.
  await alice.page.getByTestId('call-stage').getByRole('button', { name: 'Leave' }).click()
  await expect(bob.page.getByTestId('call-stage')).toHaveCount(0)
  await alice.page.getByRole('button', { name: 'Call', exact: true }).click()
  await expect(bob.page.getByRole('alertdialog', { name: 'Alice is calling' })).toBeVisible()
  await expect(carol.page.getByRole('alertdialog')).toHaveCount(0)
  const calls = await carol.node.api.call('calls.list', {})
  expect(calls.filter((c) => c.state === 'ringing')).toEqual([])
})

test('frames sealed with one key are never decoded with another: the call worker drops them all', async ({ people }) => {
  const alice = await people.open('Alice')
  // Runs in the page (a probe in plain browser JavaScript, typed by nothing here).
  const probe = await readFile(new URL('key-probe.js', import.meta.url), 'utf8')
  const result = await alice.page.evaluate<{ wrong: Pair; right: Pair }>(`${probe}\nkeyProbe()`)
  expect(result.wrong.encoded).toBeGreaterThanOrEqual(60)
  expect(result.wrong.decoded).toBe(0)
  expect(result.wrong.refused).toBeGreaterThan(0)
  // The same pipeline with the right key decodes: the zero above is the key's doing.
  expect(result.right.encoded).toBeGreaterThanOrEqual(60)
  expect(result.right.decoded).toBeGreaterThan(20)
})
