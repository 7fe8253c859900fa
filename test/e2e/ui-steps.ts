/** Steps several specs take through the UI, written once. */
import AxeBuilder from '@axe-core/playwright'
import { expect, type Person } from './fixtures.js'
import type { Page } from '@playwright/test'

/** axe findings that fail a test: serious and critical ones, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)
}

export function show(page: Page, view: 'Chats' | 'Directory' | 'Admin') {
  return page.getByRole('navigation').getByRole('button', { name: view, exact: true }).click()
}

export async function createWorkspace(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Create a workspace' }).click()
  const dialog = page.getByRole('dialog', { name: 'New workspace' })
  await dialog.getByRole('textbox', { name: 'Workspace name' }).fill(name)
  // With colleagues connected, the button also invites them ("Create and invite 1").
  await dialog.getByRole('button', { name: /^Create( and invite \d+)?$/ }).click()
  await expect(dialog).toHaveCount(0)
  await expect(page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText(`${name} · Owner`)
}

/** Admin → Invite people → the link and the copyable text the dialog shows. */
export async function invite(page: Page): Promise<{ link: string; text: string }> {
  await show(page, 'Admin')
  await page.getByRole('button', { name: 'Invite people' }).click()
  const dialog = page.getByRole('dialog', { name: 'Invite people' })
  await dialog.getByRole('button', { name: 'Create invite link' }).click()
  const linkField = dialog.getByRole('textbox', { name: 'Invite link' })
  await expect(linkField).toHaveValue(/^enclave:\/\/join\//)
  const link = await linkField.inputValue()
  const text = await dialog.getByRole('textbox', { name: 'Invite text' }).inputValue()
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(dialog).toHaveCount(0)
  return { link, text }
}

export async function pasteInvite(page: Page, invitation: string): Promise<void> {
  await page.getByRole('button', { name: /Join with (an )?invite/ }).first().click()
  const dialog = page.getByRole('dialog', { name: 'Join a workspace' })
  await dialog.getByRole('textbox', { name: 'Invite link or the whole invite text' }).fill(invitation)
  await dialog.getByRole('button', { name: 'Join', exact: true }).click()
}

/** Alice owns "Acme" and Bob is in it, both through the UI. */
export async function acmeWithBob(alice: Person, bob: Person): Promise<void> {
  await createWorkspace(alice.page, 'Acme')
  const { link } = await invite(alice.page)
  await pasteInvite(bob.page, link)
  await expect(bob.page.getByRole('dialog')).toHaveCount(0)
  await expect(bob.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Member')
}

/** Set ENCLAVE_SCREENSHOTS to a folder to keep screenshots the specs take (not committed). */
export const SHOTS = process.env.ENCLAVE_SCREENSHOTS

/** A screenshot at `width` px into SHOTS, when it is set. */
export async function shoot(page: Page, name: string, width: number): Promise<void> {
  if (SHOTS === undefined) return
  await page.setViewportSize({ width, height: 720 })
  await page.screenshot({ path: `${SHOTS}/${name}-${width}.png` })
}
