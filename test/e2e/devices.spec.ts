import { expect, test } from './fixtures.js'
import { createWorkspace, shoot } from './ui-steps.js'
import type { Page } from '@playwright/test'

function general(page: Page) {
  return page.getByRole('region', { name: 'Channels' }).getByRole('button', { name: /^general( |$)/ })
}

test('Alice links her laptop by code: both show the same six digits, she says yes on her desktop, and the laptop opens in her workspace under her name', async ({ people }) => {
  const desktop = await people.open('Alice')
  await createWorkspace(desktop.page, 'Acme')
  // Something said before the laptop: it shows there once linked.
  await general(desktop.page).click()
  const composer = desktop.page.getByRole('textbox', { name: 'Message #general' })
  await composer.fill('Welcome to Acme, everyone')
  await composer.press('Enter')
  await expect(desktop.page.getByTestId('message').filter({ hasText: 'Welcome to Acme, everyone' })).toBeVisible()
  await desktop.page.getByRole('button', { name: 'Settings' }).click()
  const section = desktop.page.getByRole('region', { name: 'Devices' })
  await section.getByRole('button', { name: 'Link a new device' }).click()
  const code = await section.getByRole('textbox', { name: 'Link code' }).inputValue()
  expect(code).toMatch(/^enclave:\/\/link\//)
  await expect(section.getByRole('img', { name: 'QR code of the link code' })).toBeVisible()
  await shoot(desktop.page, 'settings-devices-code', 900)

  // The laptop starts fresh and links instead of asking for a name.
  const laptop = await people.open('Laptop', { peers: [desktop], named: false })
  await laptop.page.getByRole('button', { name: 'Link to my account' }).click()
  const dialog = laptop.page.getByRole('dialog', { name: 'Link to my account' })
  await dialog.getByRole('textbox', { name: 'Code from your other device' }).fill(code)
  const digits = await dialog.getByTestId('link-sas').textContent()
  expect(digits).toMatch(/^\d{3} \d{3}$/)
  await shoot(laptop.page, 'link-dialog', 900)
  await dialog.getByRole('button', { name: 'Link', exact: true }).click()

  // Her desktop asks, showing the same digits; she says yes.
  const ask = section.getByRole('alert')
  await expect(ask).toContainText('asks to link to your account')
  await expect(ask.getByTestId('link-sas')).toHaveText(digits ?? 'none')
  await shoot(desktop.page, 'settings-devices-ask', 900)
  await ask.getByRole('button', { name: 'Yes, link it' }).click()
  await expect(section.getByRole('status')).toContainText('is linked to your account')
  await expect(section.getByTestId('device-count')).toHaveText('Your account has 2 devices in this workspace.')

  // The laptop is Alice's: her workspace, her role, her name; no first-run screen.
  await expect(laptop.page.getByRole('dialog')).toHaveCount(0)
  await expect(laptop.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Owner', { timeout: 30_000 })

  // #general's history came from the desktop, and what Alice said there is hers on the laptop too.
  await expect(general(laptop.page)).toBeVisible({ timeout: 30_000 })
  await general(laptop.page).click()
  const earlier = laptop.page.getByTestId('message').filter({ hasText: 'Welcome to Acme, everyone' })
  await expect(earlier).toBeVisible({ timeout: 30_000 })
  await expect(earlier).toHaveAttribute('data-mine', 'true')
  // Nobody else is in Acme, but the laptop is not alone: it reaches Alice's desktop.
  await expect(laptop.page.getByRole('status').filter({ hasText: 'Connected' })).toHaveText('Connected · your other device')
  await shoot(laptop.page, 'linked-history', 900)

  await laptop.page.getByRole('button', { name: 'Settings' }).click()
  await expect(laptop.page.getByRole('textbox', { name: 'Your name' })).toHaveValue('Alice')
})
