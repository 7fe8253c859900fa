import { expect, test } from './fixtures.js'
import { acmeWithBob as joinAcme, seriousViolations, shoot, show } from './ui-steps.js'
import type { Person } from './fixtures.js'
import type { Page } from '@playwright/test'

/** Channel changes travel between devices as MLS commits and welcomes: allow them time. */
const ACROSS = { timeout: 30_000 }

function channelList(page: Page) {
  return page.getByRole('region', { name: 'Channels' })
}

/** A channel's row in the sidebar; its name is followed by tags ("Private") and the unread count. */
function channelRow(page: Page, name: string) {
  return channelList(page).getByRole('button', { name: new RegExp(`^${name}( |$)`) })
}

function title(page: Page, name: string) {
  return page.getByRole('heading', { level: 1, name, exact: true })
}

function composer(page: Page) {
  return page.getByRole('textbox', { name: /^Message / })
}

function messages(page: Page) {
  return page.getByTestId('message')
}

/** Alice owns "Acme" and Bob is in it; Alice's directory lists Bob. */
async function acmeWithBob(alice: Person, bob: Person): Promise<void> {
  await joinAcme(alice, bob)
  await show(alice.page, 'Directory')
  await expect(alice.page.getByRole('main').getByTestId('member').filter({ hasText: 'Bob' })).toBeVisible()
}

/** Sidebar "+" → the new-channel dialog, people picked through its directory search. */
async function createChannel(page: Page, opts: { name: string; visibility: 'Private' | 'Open'; members: string[] }): Promise<void> {
  await channelList(page).getByRole('button', { name: 'New channel' }).click()
  const dialog = page.getByRole('dialog', { name: 'New channel' })
  await expect(dialog.getByRole('textbox', { name: 'Channel name' })).toBeFocused()
  await dialog.getByRole('textbox', { name: 'Channel name' }).fill(opts.name)
  await dialog.getByRole('radio', { name: new RegExp(`^${opts.visibility}`) }).check()
  for (const person of opts.members) {
    await dialog.getByRole('searchbox', { name: 'Search people' }).fill(person)
    const box = dialog.getByRole('checkbox', { name: new RegExp(`^${person}`) })
    await expect(box).toHaveCount(1)
    await box.check()
    await expect(dialog.getByRole('list', { name: 'Chosen people' })).toContainText(person)
  }
  await dialog.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(dialog).toHaveCount(0)
  await expect(title(page, opts.name)).toBeVisible()
  await expect(channelRow(page, opts.name)).toHaveAttribute('aria-current', 'true')
}

test('a private channel: both see it, talk, rename and set the topic; a removed member is told so', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await acmeWithBob(alice, bob)
  // The workspace's own channel, with everyone in it, comes with the workspace.
  await expect(channelRow(alice.page, 'general')).toBeVisible()
  await expect(channelRow(bob.page, 'general')).toBeVisible(ACROSS)

  await createChannel(alice.page, { name: 'launch', visibility: 'Private', members: ['Bob'] })
  await expect(composer(alice.page)).toHaveAccessibleName('Message #launch')

  // Bob's device gets the welcome and shows the channel without him doing anything.
  await expect(channelRow(bob.page, 'launch')).toBeVisible(ACROSS)
  await channelRow(bob.page, 'launch').click()
  await expect(title(bob.page, 'launch')).toBeVisible()
  await expect(composer(bob.page)).toBeVisible(ACROSS)
  await composer(bob.page).fill('Hello from Bob')
  await composer(bob.page).press('Enter')
  await expect(composer(bob.page)).toHaveValue('')
  await expect(messages(alice.page).filter({ hasText: 'Hello from Bob' })).toBeVisible(ACROSS)
  // Alice reads it in the open channel: no unread count left behind, and nothing waits for keys.
  await expect(channelRow(alice.page, 'launch').getByLabel(/unread/)).toHaveCount(0)
  await expect(alice.page.getByTestId('waiting')).toHaveCount(0)

  const header = alice.page.getByRole('main').locator('header')
  await header.getByRole('button', { name: 'Rename', exact: true }).click()
  const rename = alice.page.getByRole('dialog', { name: 'Rename #launch' })
  await rename.getByRole('textbox', { name: 'New name' }).fill('launch-plans')
  await rename.getByRole('button', { name: 'Save', exact: true }).click()
  await expect(rename).toHaveCount(0)
  await expect(title(alice.page, 'launch-plans')).toBeVisible()
  await header.getByRole('button', { name: 'Add a topic' }).click()
  const topic = header.getByRole('textbox', { name: 'Channel topic' })
  await expect(topic).toBeFocused()
  await topic.fill('Ship it on Friday')
  await topic.press('Enter')
  await expect(header.getByRole('button', { name: 'Edit the topic: Ship it on Friday' })).toBeVisible()

  await expect(title(bob.page, 'launch-plans')).toBeVisible(ACROSS)
  await expect(channelRow(bob.page, 'launch-plans')).toBeVisible()
  await expect(bob.page.getByRole('main').locator('header')).toContainText('Ship it on Friday', ACROSS)

  // The member list: Alice (the creator) may remove Bob, never herself.
  const count = header.getByRole('button', { name: '2 members' })
  await expect(count).toBeVisible(ACROSS)
  await count.click()
  await expect(count).toHaveAttribute('aria-expanded', 'true')
  const members = alice.page.getByRole('main').getByRole('region', { name: 'Members' })
  // With the members and the files beside the channel, the messages keep a readable column even
  // at 900 px: the panels go over them rather than squeeze them; each of the sidebar's views stays on one line.
  await header.getByRole('button', { name: 'Files', exact: true }).click()
  await expect(alice.page.getByTestId('side-panels')).toBeVisible()
  const widthOf = (selector: string): Promise<number> => alice.page.locator(selector).first().evaluate((el: { getBoundingClientRect: () => { width: number } }) => el.getBoundingClientRect().width)
  // Every view's label on one line: each button as tall as one line of text.
  const tallestView = (): Promise<number> => alice.page.locator('ul.views button').evaluateAll((els: Array<{ getBoundingClientRect: () => { height: number } }>) => Math.max(...els.map((el) => el.getBoundingClientRect().height)))
  for (const width of [900, 1280]) {
    await alice.page.setViewportSize({ width, height: 720 })
    expect(await widthOf('.timeline')).toBeGreaterThan(380)
    expect(await tallestView()).toBeLessThan(36)
    await shoot(alice.page, 'channel-panels', width)
  }
  await header.getByRole('button', { name: 'Files', exact: true }).click()
  await expect(members).toBeVisible()
  await expect(members.getByTestId('channel-member')).toHaveCount(2)
  await expect(members.getByRole('button', { name: 'Remove Alice' })).toHaveCount(0)
  expect(await seriousViolations(alice.page), 'channel with member list').toEqual([])

  await members.getByRole('button', { name: 'Remove Bob' }).click()
  const confirm = alice.page.getByRole('dialog', { name: 'Remove Bob from #launch-plans?' })
  await confirm.getByRole('button', { name: 'Remove', exact: true }).click()
  await expect(confirm).toHaveCount(0)
  await expect(members.getByTestId('channel-member')).toHaveCount(1, ACROSS)
  await expect(header.getByRole('button', { name: '1 member' })).toBeVisible()

  // Bob keeps what he had, read-only, and is told why he cannot write.
  const notice = bob.page.getByTestId('channel-notice')
  await expect(notice).toHaveAttribute('data-status', 'removed', ACROSS)
  await expect(notice).toContainText('You were removed from this channel')
  await expect(composer(bob.page)).toHaveCount(0)
  await expect(messages(bob.page).filter({ hasText: 'Hello from Bob' })).toBeVisible()
})

test('an open channel shows up in Browse channels; Bob joins it and writes there', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await acmeWithBob(alice, bob)

  await createChannel(alice.page, { name: 'random', visibility: 'Open', members: [] })

  // Browse asks connected colleagues; Alice's answer may take a moment to include the new channel.
  const browse = bob.page.getByRole('dialog', { name: 'Browse channels' })
  await expect(async () => {
    await channelList(bob.page).getByRole('button', { name: 'Browse channels' }).click()
    try {
      await expect(browse.getByRole('button', { name: 'Join #random' })).toBeVisible({ timeout: 3_000 })
    } catch (err) {
      await browse.getByRole('button', { name: 'Close', exact: true }).click()
      throw err
    }
  }).toPass(ACROSS)
  expect(await seriousViolations(bob.page), 'browse channels dialog').toEqual([])
  await expect(browse.getByTestId('browse-channel').filter({ hasText: 'random' })).toContainText('1 member')
  await browse.getByRole('button', { name: 'Join #random' }).click()
  await expect(browse).toHaveCount(0)

  // Until Alice's device adds him he waits, told so instead of a composer; then he is in.
  await expect(title(bob.page, 'random')).toBeVisible()
  await expect(channelRow(bob.page, 'random')).toHaveAttribute('aria-current', 'true')
  await expect(composer(bob.page)).toBeVisible(ACROSS)
  await expect(bob.page.getByTestId('channel-notice')).toHaveCount(0)
  await composer(bob.page).fill('Glad to be here')
  await composer(bob.page).press('Enter')
  await expect(messages(alice.page).filter({ hasText: 'Glad to be here' })).toBeVisible(ACROSS)
  await expect(alice.page.getByRole('main').locator('header').getByRole('button', { name: '2 members' })).toBeVisible(ACROSS)
})
