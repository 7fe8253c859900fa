import { expect, test } from './fixtures.js'
import { waitFor } from '../helpers/wait.js'
import type { Page } from '@playwright/test'

function composer(page: Page) {
  return page.getByRole('textbox', { name: /Message|发消息给/ })
}

const DRAFT = 'Half-written: the Shenzhen test plan needs'

test('the browser shell\'s node restarts: the same tab shows "reconnecting", comes back by itself on the same link, and keeps its draft and open conversation', async ({ people, browser }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  const page = alice.page
  const link = alice.node.appUrl

  await page.getByRole('region', { name: 'People' }).getByRole('button', { name: /^Bob / }).click()
  const heading = page.getByRole('heading', { level: 1, name: 'Bob' })
  await expect(heading).toBeVisible()
  await composer(page).fill(DRAFT)
  // The core keeps the draft (sealed in its store), not the tab.
  await waitFor('the draft to reach the core', async () => (await alice.node.api.call('drafts.list', {})).some((d) => d.text === DRAFT))

  await alice.stop()
  const banner = page.getByTestId('reconnecting')
  await expect(banner).toContainText('Reconnecting…')
  await expect(page.getByRole('navigation').getByRole('status')).toContainText('Reconnecting…')
  // No error wall: the conversation and the draft stay on screen while the node is down.
  await expect(heading).toBeVisible()
  await expect(composer(page)).toHaveValue(DRAFT)
  await expect(page.getByRole('alert')).toHaveCount(0)

  await alice.restartNode([bob.node.address])
  expect(alice.node.appUrl, 'the same link after a restart').toBe(link)
  await expect(banner).toHaveCount(0)
  await expect(heading).toBeVisible()
  await expect(composer(page)).toHaveValue(DRAFT)

  // Reloading the tab: the conversation opens again and the draft comes back from the core.
  await page.reload()
  await expect(heading).toBeVisible()
  await expect(composer(page)).toHaveValue(DRAFT)

  // Another tab (a fresh browser profile) sees the same draft: it lives in the core.
  const other = await (await browser.newContext()).newPage()
  try {
    await other.goto(link ?? '')
    await other.getByRole('region', { name: 'People' }).getByRole('button', { name: /^Bob / }).click()
    await expect(composer(other)).toHaveValue(DRAFT)
  } finally {
    await other.context().close()
  }

  // And it still sends: Bob gets it once the node is back.
  await composer(page).press('Enter')
  await expect(composer(page)).toHaveValue('')
  await expect(bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ })).toContainText(DRAFT)
  await waitFor('the sent draft to be cleared in the core', async () => (await alice.node.api.call('drafts.list', {})).length === 0)
})
