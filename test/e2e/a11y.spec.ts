import { expect, test } from './fixtures.js'
import { seriousViolations } from './ui-steps.js'

test('no serious or critical accessibility violations on the main screens, in both themes', async ({ people }) => {
  const alice = await people.open('Alice', { named: false })
  expect(await seriousViolations(alice.page), 'first run').toEqual([])
  await alice.page.getByLabel('Your name').fill('Alice')
  await alice.page.getByRole('button', { name: 'Continue' }).click()
  const bob = await people.open('Bob', { peers: [alice] })
  await alice.page.getByRole('region', { name: 'People' }).getByRole('button', { name: 'Bob' }).click()
  await alice.page.getByRole('textbox', { name: /Message/ }).fill('hello')
  await alice.page.getByRole('textbox', { name: /Message/ }).press('Enter')
  await expect(bob.page.getByRole('region', { name: 'Conversations' })).toContainText('hello')

  for (const theme of ['light', 'dark']) {
    await alice.page.getByRole('button', { name: 'Settings' }).click()
    await alice.page.getByLabel('Theme').selectOption(theme)
    await expect(alice.page.locator('html')).toHaveAttribute('data-theme', theme)
    expect(await seriousViolations(alice.page), `settings dialog, ${theme}`).toEqual([])
    await alice.page.getByRole('button', { name: 'Close' }).click()
    expect(await seriousViolations(alice.page), `conversation, ${theme}`).toEqual([])
  }
})

test('the app can be used from the keyboard alone', async ({ people }) => {
  const alice = await people.open('Alice')
  await people.open('Bob', { peers: [alice] })
  await people.open('Carol', { peers: [alice] })
  const page = alice.page
  await expect(page.getByRole('region', { name: 'People' }).getByRole('button', { name: 'Carol' })).toBeVisible()

  // Tab from the top reaches the people list; Enter opens a conversation with the composer focused.
  await page.getByRole('region', { name: 'People' }).getByRole('button', { name: 'Bob' }).focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('textbox', { name: 'Message Bob' })).toBeFocused()
  await page.keyboard.type('typed without a mouse')
  await page.keyboard.press('Enter')
  await page.getByRole('region', { name: 'People' }).getByRole('button', { name: 'Carol' }).focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { level: 1, name: 'Carol' })).toBeVisible()

  // Alt+↓/↑ moves between conversations; Ctrl+, opens settings and Escape closes it.
  await page.keyboard.press('Alt+ArrowDown')
  await page.keyboard.press('Alt+ArrowUp')
  await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1)
  await page.keyboard.press('Control+Comma')
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(page.getByRole('dialog')).toHaveCount(0)
})
