import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { makeDataDir, removeDataDir } from '../helpers/node-process.js'
import { expect, test } from './fixtures.js'
import { shoot } from './ui-steps.js'
import type { Page } from '@playwright/test'

const PASS = 'lantern orchard 42'

function composer(page: Page) {
  return page.getByRole('textbox', { name: /Message|发消息给/ })
}

function messages(page: Page) {
  return page.getByTestId('message')
}

test('Alice backs up to a folder in Settings, loses her computer, and restores on a new one from the welcome screen: her history is back and Bob reaches her', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await alice.page.getByRole('region', { name: 'People' }).getByRole('button', { name: 'Bob' }).click()
  await composer(alice.page).fill('The Q3 numbers are in the shared folder')
  await composer(alice.page).press('Enter')
  await expect(messages(alice.page).last()).toHaveAttribute('data-state', 'delivered')

  const usb = await makeDataDir('usb')
  try {
    const page = alice.page
    await page.getByRole('button', { name: 'Settings' }).click()
    const section = page.getByRole('region', { name: 'Backup' })
    await section.getByLabel('Folder').fill(usb)
    await section.getByLabel('Backup passphrase').fill(PASS)
    await section.getByLabel('Passphrase again').fill('lantern orchard 24')
    await section.getByRole('button', { name: 'Back up now' }).click()
    await expect(section.getByRole('alert')).toHaveText('The two passphrases differ.')
    await section.getByLabel('Passphrase again').fill(PASS)
    await section.getByRole('button', { name: 'Back up now' }).click()
    await expect(section.getByRole('status')).toContainText('Backup made')
    await expect(section.getByTestId('last-backup')).toContainText('Last backup')
    await shoot(page, 'settings-backup', 900)
    const [file] = await readdir(usb)
    expect(file).toMatch(/^enclave-backup-\d{8}-\d{6}\.enclave$/)

    // Her computer is gone. On the new one, Enclave starts fresh and offers to restore.
    await alice.stop()
    const fresh = await people.open('New computer', { peers: [bob], named: false })
    await fresh.page.getByRole('button', { name: 'Restore from a backup…' }).click()
    const dialog = fresh.page.getByRole('dialog', { name: 'Restore from a backup' })
    await dialog.getByLabel('Backup file').fill(join(usb, file ?? ''))
    await dialog.getByLabel('Backup passphrase').fill('not the passphrase')
    await dialog.getByRole('button', { name: 'Restore' }).click()
    await expect(dialog.getByRole('alert')).toHaveText('Wrong passphrase for this backup.')
    await shoot(fresh.page, 'restore-wrong-passphrase', 900)
    await dialog.getByLabel('Backup passphrase').fill(PASS)
    await dialog.getByRole('button', { name: 'Restore' }).click()

    // The page reloads as Alice's device, with her conversation with Bob.
    await expect(fresh.page.getByRole('navigation')).toBeVisible({ timeout: 30_000 })
    await fresh.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ }).click()
    await expect(messages(fresh.page)).toHaveText([/The Q3 numbers are in the shared folder/])
    // Bob is online: the restored device catches up with him, and may then write here again.
    await expect(fresh.page.getByTestId('restore-notice')).toHaveCount(0, { timeout: 30_000 })
    await composer(fresh.page).fill('Back, on a new computer')
    await composer(fresh.page).press('Enter')
    await bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ }).click()
    await expect(messages(bob.page).last()).toContainText('Back, on a new computer', { timeout: 30_000 })
    await composer(bob.page).fill('Welcome back, Alice')
    await composer(bob.page).press('Enter')
    await expect(messages(fresh.page).last()).toContainText('Welcome back, Alice', { timeout: 30_000 })
    await fresh.page.getByRole('button', { name: 'Settings' }).click()
    await expect(fresh.page.getByRole('region', { name: 'Backup' }).getByTestId('restored-from')).toContainText('This device was restored from a backup made')
  } finally {
    await removeDataDir(usb)
  }
})
