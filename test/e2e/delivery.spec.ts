import { expect, test } from './fixtures.js'
import { acmeWithBob, invite, pasteInvite, shoot, SHOTS } from './ui-steps.js'
import type { Page } from '@playwright/test'

const ACROSS = { timeout: 30_000 }

function general(page: Page) {
  return page.getByRole('region', { name: 'Channels' }).getByRole('button', { name: /^general( |$)/ })
}

test('own channel posts say who has them; the info panel names each member, never a device id', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  const carol = await people.open('Carol')
  await acmeWithBob(alice, bob)
  const { link } = await invite(alice.page)
  await pasteInvite(carol.page, link)
  await expect(carol.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Member')
  // Everyone is in the workspace's own channel: wait until Alice's device added Carol's to it.
  await general(alice.page).click()
  await expect(general(carol.page)).toBeVisible(ACROSS)
  await general(carol.page).click()
  await expect(carol.page.getByRole('textbox', { name: 'Message #general' })).toBeVisible(ACROSS)

  await carol.stop()
  const composer = alice.page.getByRole('textbox', { name: 'Message #general' })
  await composer.fill('Standup moves to ten')
  await composer.press('Enter')
  const post = alice.page.getByTestId('message').filter({ hasText: 'Standup moves to ten' })
  await expect(post.getByTestId('delivery')).toHaveText('Delivered to 1 of 2 · waiting for Carol', ACROSS)
  await composer.fill('Bring the slides')
  await composer.press('Enter')
  const second = alice.page.getByTestId('message').filter({ hasText: 'Bring the slides' })
  await expect(second.getByTestId('delivery')).toHaveText('Delivered to 1 of 2 · waiting for Carol', ACROSS)
  // Only the newest own message says it unprompted; an older one says it when pointed at.
  await expect(post.getByTestId('delivery')).toBeHidden()
  await post.hover()
  await expect(post.getByTestId('delivery')).toBeVisible()
  await shoot(alice.page, 'delivery-line-light', 1280)

  const panel = alice.page.getByRole('dialog', { name: 'Message info' })
  // The row's toolbar is drawn again as delivery news arrives: a click on the one being replaced opens nothing, so click until the panel shows.
  await expect(async () => {
    if (await panel.isVisible()) return
    // The delivery line's button (the hover toolbar, once the mouse is over the row, has one too).
    await second.getByRole('button', { name: 'Message info' }).last().click({ timeout: 2_000 })
    await expect(panel).toBeVisible({ timeout: 2_000 })
  }).toPass({ timeout: 20_000 })
  const rows = panel.getByTestId('recipient')
  await expect(rows).toHaveCount(2)
  await expect(rows.filter({ hasText: 'Bob' })).toHaveAttribute('data-state', 'delivered')
  await expect(rows.filter({ hasText: 'Carol' })).toHaveAttribute('data-state', 'waiting')
  await expect(rows.filter({ hasText: 'Carol' })).toContainText('Waiting')
  // Names, not pieces of PeerIds ("12D3Koo…", "…9uFdjm").
  await expect(panel).not.toContainText(/12D3Koo|…\w{6}/)
  await shoot(alice.page, 'info-panel-light', 1280)
  await shoot(alice.page, 'info-panel-light', 900)
  await alice.page.emulateMedia({ colorScheme: 'dark' })
  await shoot(alice.page, 'info-panel-dark', 900)
  await shoot(alice.page, 'info-panel-dark', 1280)
  await panel.getByRole('button', { name: 'Close' }).click()
  await expect(panel).toHaveCount(0)

  // Carol comes back: the panel and the line follow her acknowledgement.
  await carol.restart([alice.node.address, bob.node.address])
  await expect(second.getByTestId('delivery')).toHaveText('Delivered to all 2', ACROSS)
  await second.getByRole('button', { name: 'Message info' }).click()
  await expect(panel.getByTestId('recipient').filter({ hasText: 'Carol' })).toHaveAttribute('data-state', 'delivered', ACROSS)
  await shoot(alice.page, 'info-panel-delivered-dark', 900)
  await panel.getByRole('button', { name: 'Close' }).click()

  if (SHOTS !== undefined) {
    // The same in Chinese, with Carol away again.
    await carol.stop()
    await alice.page.emulateMedia({ colorScheme: 'light' })
    await alice.page.getByRole('button', { name: 'Settings' }).click()
    const settings = alice.page.getByRole('dialog')
    await settings.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN')
    await settings.getByRole('button', { name: '关闭' }).click()
    const zhComposer = alice.page.getByRole('textbox', { name: '发消息给 #general' })
    await zhComposer.fill('十点开站会')
    await zhComposer.press('Enter')
    const zhPost = alice.page.getByTestId('message').filter({ hasText: '十点开站会' })
    await expect(zhPost.getByTestId('delivery')).toHaveText('已送达 1/2 人 · 等待 Carol', ACROSS)
    await shoot(alice.page, 'delivery-line-zh', 900)
    await zhPost.getByRole('button', { name: '消息详情' }).click()
    await expect(alice.page.getByRole('dialog', { name: '消息详情' }).getByTestId('recipient')).toHaveCount(2)
    await shoot(alice.page, 'info-panel-zh', 1280)
  }
})
