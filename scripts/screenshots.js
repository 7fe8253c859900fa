#!/usr/bin/env node
// `npm run screenshots`: PNGs of the main screens in both languages and both themes, in
// screenshots/. Real peers on 127.0.0.1 with a seeded conversation; nothing is faked.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { startPeers, stopPeers } from './demo-peers.js'
import { CHROMIUM } from './setup.js'

const root = new URL('..', import.meta.url).pathname
const out = join(root, 'screenshots')
await mkdir(out, { recursive: true })
const base = await mkdtemp(join(tmpdir(), 'enclave-shots-'))
const peers = await startPeers(['Alice', 'Bob', 'Carol', null], (name) => join(base, name ?? 'newcomer'))
const [alice, bob, carol, newcomer] = peers

async function say(from, to, text) {
  await from.api.call('chat.send', { peerId: to.peerId, text })
}
await say(bob, alice, 'Morning! Are the specs for the Shenzhen line ready?')
await say(alice, bob, 'Almost — I am adding the test plan now.\nWill send it before lunch.')
await say(bob, alice, '好的，谢谢！下午三点开会讨论。')
await say(alice, bob, 'Sounds good, see you at 3.')
await say(carol, alice, 'Can you review the supplier contract today?')

// A workspace with an org tree, for the directory and admin screens.
const acme = await alice.api.call('workspaces.create', { name: 'Acme 科技' })
for (const p of [bob, carol]) await p.api.call('workspaces.join', { link: (await alice.api.call('workspaces.invite', { workspaceId: acme.id })).link })
await alice.api.call('workspaces.invite', { workspaceId: acme.id, role: 'guest', approval: true })
let departments = await alice.api.call('workspaces.saveDepartment', { workspaceId: acme.id, parentId: null, name: '研发部 Engineering' })
const engineering = departments[0].id
departments = await alice.api.call('workspaces.saveDepartment', { workspaceId: acme.id, parentId: engineering, name: '平台组 Platform' })
const platform = departments.find((d) => d.parentId === engineering).id
departments = await alice.api.call('workspaces.saveDepartment', { workspaceId: acme.id, parentId: null, name: '销售部 Sales' })
const sales = departments.find((d) => d.name === '销售部 Sales').id
await alice.api.call('workspaces.invite', { workspaceId: acme.id, uses: 20, departments: [sales], label: 'Sales team 销售团队' })
const members = await alice.api.call('workspaces.members', { workspaceId: acme.id })
for (const m of members) {
  await alice.api.call('workspaces.assign', { workspaceId: acme.id, userId: m.userId, departments: [m.name === 'Carol' ? engineering : platform] })
}
await bob.api.call('workspaces.updateProfile', { workspaceId: acme.id, profile: { name: 'Bob', title: 'Backend engineer', email: 'bob@acme.example' } })
await carol.api.call('profile.set', { presence: 'away' })
// A backup into a folder, and a schedule, for Settings → Backup.
const usb = join(base, 'usb')
await mkdir(usb)
await alice.api.call('backup.setSchedule', { schedule: { folder: usb, everyHours: 24, keep: 7, passphrase: 'lantern orchard 42' } })
for (let i = 0; (await alice.api.call('backup.status', {})).lastBackup === null; i++) {
  if (i > 200) throw new Error('the scheduled backup was not made')
  await new Promise((resolve) => setTimeout(resolve, 100))
}

// A channel, end-to-end encrypted like every conversation.
const launch = await alice.api.call('channels.create', { workspaceId: acme.id, name: 'shenzhen-launch', topic: 'Line 3 go-live, week 49', members: [bob.peerId, carol.peerId] })
for (const p of [bob, carol]) {
  for (let i = 0; (await p.api.call('conversations.list', {})).find((c) => c.id === launch.id)?.status !== 'active'; i++) {
    if (i > 200) throw new Error('the channel did not reach every member')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
await alice.api.call('chat.send', { conversationId: launch.id, text: 'Test plan is in the shared folder. Sign-off by Thursday, please.' })
await bob.api.call('chat.send', { conversationId: launch.id, text: 'Backend is ready; load test tonight.' })
await carol.api.call('chat.send', { conversationId: launch.id, text: '供应商合同已确认。' })

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
const written = []
try {
  for (const language of ['en', 'zh-CN']) {
    for (const theme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, deviceScaleFactor: 1 })
      // Runs in the page, before the app reads its settings.
      await context.addInitScript((s) => { globalThis.localStorage.setItem('enclave.settings', s) }, JSON.stringify({ language, theme }))
      const shot = async (page, name) => {
        const file = join(out, `${name}-${language}-${theme}.png`)
        await page.screenshot({ path: file })
        written.push(file)
      }

      const fresh = await context.newPage()
      await fresh.goto(newcomer.url)
      await fresh.locator('input[name="displayName"]').waitFor()
      await shot(fresh, '1-first-run')

      const page = await context.newPage()
      await page.goto(alice.url)
      const conversations = page.locator('section[aria-labelledby="conversations-heading"]')
      await conversations.getByRole('button').filter({ hasText: 'Bob' }).first().click()
      await page.getByTestId('message').getByText('Sounds good, see you at 3.').waitFor()
      await page.waitForTimeout(300)
      await shot(page, '2-conversation')

      await page.locator('header button[aria-label]').first().click()
      await page.getByRole('dialog').waitFor()
      await shot(page, '3-settings')
      // Settings → Backup, with the last backup made above.
      await page.getByRole('dialog').locator('#backup-heading').scrollIntoViewIfNeeded()
      await shot(page, '3-settings-backup')
      // Settings → Devices, showing a link code for a new device.
      const devicesSection = page.getByRole('dialog').locator('section[aria-labelledby="devices-heading"]')
      await devicesSection.locator('button').first().click()
      await devicesSection.locator('svg.qr').scrollIntoViewIfNeeded()
      await shot(page, '3-settings-devices')
      await page.keyboard.press('Escape')

      // Settings → Advanced: addresses, relays and connecting by address live here, not in the normal view.
      await page.locator('header button[aria-label]').first().click()
      await page.getByRole('dialog').locator('details.advanced summary').click()
      await page.getByRole('dialog').locator('#relays-heading').scrollIntoViewIfNeeded()
      await shot(page, '4-settings-advanced')
      await page.keyboard.press('Escape')
      // In a workspace an admin's people list invites.
      await page.locator('section[aria-labelledby="people-heading"] .add').click()
      await page.getByRole('dialog').waitFor()
      await shot(page, '4-invite')
      await page.keyboard.press('Escape')

      // The view switcher's buttons: chats, mentions, saved, directory, admin (same order in every language).
      await page.locator('.views button').nth(3).click()
      await page.getByTestId('member').nth(2).waitFor()
      await shot(page, '5-directory')
      await page.locator('.views button').nth(4).click()
      await page.locator('main table').first().waitFor()
      await shot(page, '6-admin')
      const invites = page.locator('section[aria-labelledby="admin-invites-heading"]')
      await invites.scrollIntoViewIfNeeded()
      await shot(page, '6-admin-invites')
      await invites.locator('.button.primary').click()
      await page.getByRole('dialog').locator('input[name="uses"]').fill('20')
      await page.getByRole('dialog').locator('button[type="submit"]').click()
      await page.getByRole('dialog').locator('svg.qr').waitFor()
      await shot(page, '6-admin-invite-link')
      await page.keyboard.press('Escape')

      await page.locator('.views button').nth(0).click()
      await page.locator('section[aria-labelledby="channels-heading"]').getByRole('button').filter({ hasText: 'shenzhen-launch' }).first().click()
      await page.getByTestId('message').getByText('供应商合同已确认。').waitFor()
      await page.waitForTimeout(300)
      await shot(page, '7-channel')
      await page.getByRole('main').locator('header').getByRole('button').filter({ hasText: /^\s*3/ }).first().click()
      await page.waitForTimeout(300)
      await shot(page, '8-channel-members')
      await context.close()
    }
  }
} finally {
  await browser.close()
  await stopPeers(peers)
  await rm(base, { recursive: true, force: true })
}
process.stdout.write(`wrote ${written.length} screenshots to ${out}\n`)
