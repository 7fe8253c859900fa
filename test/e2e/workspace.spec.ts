import { expect, test } from './fixtures.js'
import { acmeWithBob, createWorkspace, invite, pasteInvite, seriousViolations, shoot, show } from './ui-steps.js'
import type { Page } from '@playwright/test'

function members(page: Page) {
  return page.getByRole('main').getByTestId('member')
}

function adminRows(page: Page) {
  return page.getByRole('region', { name: 'Members' }).getByTestId('admin-member')
}


test('Alice creates a workspace and invites Bob by link; they find each other in the directory', async ({ people }) => {
  const alice = await people.open('Alice')
  // Bob knows nothing of Alice: the invite link alone must lead him to her device.
  const bob = await people.open('Bob')
  await expect(alice.page.getByRole('heading', { name: 'Bring your team together' })).toBeVisible()

  await createWorkspace(alice.page, 'Acme')
  await show(alice.page, 'Admin')
  await alice.page.getByRole('button', { name: 'Invite people' }).click()
  const dialog = alice.page.getByRole('dialog', { name: 'Invite people' })
  await dialog.getByRole('button', { name: 'Create invite link' }).click()
  await alice.page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
  await dialog.getByRole('button', { name: 'Copy: Invite link' }).click()
  await expect(dialog.getByRole('button', { name: 'Copied: Invite link' })).toBeVisible()
  const link = await alice.page.evaluate<string>('navigator.clipboard.readText()')
  expect(link).toBe(await dialog.getByRole('textbox', { name: 'Invite link' }).inputValue())
  expect(link).toMatch(/^enclave:\/\/join\//)
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(alice.page.getByTestId('invite')).toHaveAttribute('data-status', 'open')

  // Before joining, Bob sees the fingerprint Alice's console shows, to compare with her.
  const fingerprint = await alice.page.getByText(/^Fingerprint /).textContent()
  await bob.page.getByRole('button', { name: /Join with (an )?invite/ }).first().click()
  const join = bob.page.getByRole('dialog', { name: 'Join a workspace' })
  await join.getByRole('textbox', { name: 'Invite link or the whole invite text' }).fill(`You are invited.\nJoin with: ${link}`)
  await expect(join.getByTestId('invite-preview')).toContainText('Acme')
  await expect(join.getByTestId('invite-preview').getByText(/^Fingerprint /)).toHaveText(fingerprint ?? 'none')
  await shoot(bob.page, 'join-preview', 900)
  await join.getByRole('button', { name: 'Join', exact: true }).click()
  await expect(bob.page.getByRole('dialog')).toHaveCount(0)
  await expect(bob.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Member')
  await expect(bob.page.getByRole('heading', { level: 1, name: 'Directory' })).toBeVisible()
  await expect(members(bob.page).filter({ hasText: 'Alice' })).toBeVisible()
  // A member has no admin console.
  await expect(bob.page.getByRole('navigation').getByRole('button', { name: 'Admin', exact: true })).toHaveCount(0)

  await expect(alice.page.getByTestId('invite')).toHaveAttribute('data-status', 'used')
  await show(alice.page, 'Directory')
  await expect(members(alice.page).filter({ hasText: 'Bob' })).toBeVisible()
  await expect(members(alice.page)).toHaveCount(2)

  await bob.page.getByRole('searchbox', { name: 'Search the directory' }).fill('ali')
  await expect(members(bob.page)).toHaveCount(1)
  await expect(members(bob.page)).toContainText('Alice')
  // From the directory straight into a conversation.
  await bob.page.getByRole('button', { name: 'Send a message to Alice' }).click()
  await expect(bob.page.getByRole('heading', { level: 1, name: 'Alice' })).toBeVisible()
  await expect(bob.page.getByRole('navigation').getByRole('button', { name: 'Chats', exact: true })).toHaveAttribute('aria-current', 'page')
})

test('a used invite shows why it cannot be used again; colleagues are found by pinyin', async ({ people }) => {
  const alice = await people.open('Alice')
  const zhang = await people.open('张三')
  const bob = await people.open('Bob')
  await createWorkspace(alice.page, 'Acme')
  const { link, text } = await invite(alice.page)

  // The whole invite text works as well as the bare link.
  await pasteInvite(zhang.page, text)
  await expect(zhang.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Member')
  // Pasted again, the invite says Zhang is in already, and Join stays off.
  await zhang.page.getByRole('button', { name: /Join with (an )?invite/ }).first().click()
  const again = zhang.page.getByRole('dialog', { name: 'Join a workspace' })
  await again.getByRole('textbox', { name: 'Invite link or the whole invite text' }).fill(text)
  await expect(again.getByRole('alert')).toHaveText('You are already in this workspace.')
  await expect(again.getByRole('button', { name: 'Join', exact: true })).toBeDisabled()
  await again.getByRole('button', { name: 'Cancel' }).click()

  await pasteInvite(bob.page, link)
  const dialog = bob.page.getByRole('dialog', { name: 'Join a workspace' })
  await expect(dialog.getByRole('alert')).toHaveText(/This invite was already used or has expired/)
  await expect(bob.page.getByRole('combobox', { name: 'Workspace', exact: true })).toHaveCount(0)

  await show(alice.page, 'Directory')
  const search = alice.page.getByRole('searchbox', { name: 'Search the directory' })
  for (const query of ['zhangsan', 'zs']) {
    await search.fill(query)
    await expect(members(alice.page)).toHaveCount(1)
    await expect(members(alice.page)).toContainText('张三')
  }
})

test('a team link admits two people into Sales, with a QR code; the console says who joined; a CSV invite says which rows are wrong, then makes a link per person', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  const carol = await people.open('Carol')
  await createWorkspace(alice.page, 'Acme')
  await show(alice.page, 'Admin')
  const departments = alice.page.getByRole('region', { name: 'Departments' })
  await departments.getByRole('textbox', { name: 'New department name' }).fill('Sales')
  await departments.getByRole('button', { name: 'Add at top level' }).click()
  await expect(departments.getByRole('button', { name: 'Sales', exact: true })).toBeVisible()

  await alice.page.getByRole('button', { name: 'Invite people' }).click()
  const dialog = alice.page.getByRole('dialog', { name: 'Invite people' })
  await dialog.getByRole('textbox', { name: 'For (optional)' }).fill('Sales team')
  await dialog.getByRole('spinbutton', { name: 'People who can join with it' }).fill('2')
  await dialog.getByRole('checkbox', { name: 'Sales' }).check()
  await dialog.getByRole('button', { name: 'Create invite link' }).click()
  const link = await dialog.getByRole('textbox', { name: 'Invite link' }).inputValue()
  await expect(dialog.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible()
  await expect(dialog.getByText(/Up to 2 people can join with this link/)).toBeVisible()
  await shoot(alice.page, 'team-invite', 1280)
  await dialog.getByRole('button', { name: 'Done' }).click()

  for (const joiner of [bob, carol]) {
    await pasteInvite(joiner.page, link)
    await expect(joiner.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Member')
  }
  const row = alice.page.getByTestId('invite').filter({ hasText: 'Sales team' })
  await expect(row.getByTestId('invite-joined')).toContainText('2 of 2')
  await expect(row.getByTestId('invite-joined')).toContainText(/Bob, Carol|Carol, Bob/)
  await expect(row).toContainText('Sales')
  await expect(row).toHaveAttribute('data-status', 'used')
  // Both are in Sales from the start.
  await show(alice.page, 'Directory')
  await alice.page.getByRole('region', { name: 'Departments' }).getByRole('button', { name: 'Sales', exact: true }).click()
  await expect(members(alice.page)).toHaveCount(2)

  await show(alice.page, 'Admin')
  await alice.page.getByRole('button', { name: 'Invite from CSV…' }).click()
  const csv = alice.page.getByRole('dialog', { name: 'Invite people from a CSV file' })
  const rows = csv.getByRole('textbox', { name: 'Rows' })
  await rows.fill('name,email,department,role\nDan,dan@acme.com,Sales,guest\n,nobody@acme.com,,\nErin,erin@acme,Marketing,\n')
  await csv.getByRole('button', { name: 'Create invites' }).click()
  const errors = csv.getByTestId('csv-errors')
  await expect(errors).toContainText('2 rows need fixing. No invite was made.')
  await expect(errors).toContainText('Line 3: the name is missing')
  await expect(errors).toContainText('Line 4: "erin@acme" is not an email address; there is no department "Marketing"')
  await shoot(alice.page, 'csv-invite-errors', 900)
  await rows.fill('name,email,department,role\nDan,dan@acme.com,Sales,guest\nErin,erin@acme.com,,\n')
  await csv.getByRole('button', { name: 'Create invites' }).click()
  await expect(csv.getByRole('status')).toHaveText('2 invites made. Send each person their own link.')
  await expect(csv.getByTestId('csv-invite')).toHaveCount(2)
  await expect(csv.getByRole('textbox', { name: 'Links, as CSV (name, email, link)' })).toHaveValue(/^name,email,link\nDan,dan@acme\.com,enclave:\/\/join\/\S+\nErin,erin@acme\.com,enclave:\/\/join\//)
  await csv.getByRole('button', { name: 'Done' }).click()
  await expect(alice.page.getByTestId('invite').filter({ hasText: 'Dan <dan@acme.com>' })).toHaveAttribute('data-status', 'open')
})

test('departments nest, take members, and filter the directory by subtree', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await acmeWithBob(alice, bob)

  await show(alice.page, 'Admin')
  const departments = alice.page.getByRole('region', { name: 'Departments' })
  await departments.getByRole('textbox', { name: 'New department name' }).fill('Engineering')
  await departments.getByRole('button', { name: 'Add at top level' }).click()
  await departments.getByRole('button', { name: 'Engineering', exact: true }).click()
  await departments.getByRole('textbox', { name: 'New department name' }).fill('Platform')
  await departments.getByRole('button', { name: 'Add under Engineering' }).click()
  await expect(departments.getByRole('button', { name: 'Platform', exact: true })).toBeVisible()
  await expect(departments.getByRole('button', { name: 'Collapse Engineering' })).toHaveAttribute('aria-expanded', 'true')

  await departments.getByRole('combobox', { name: 'Member', exact: true }).selectOption({ label: 'Bob' })
  await departments.getByRole('checkbox', { name: 'Platform' }).check()
  await departments.getByRole('button', { name: 'Save departments' }).click()
  await expect(departments.getByRole('status')).toHaveText('Saved')

  // Bob is in Platform only; the filter on Engineering includes everything below it.
  await show(alice.page, 'Directory')
  const tree = alice.page.getByRole('region', { name: 'Departments' })
  await tree.getByRole('button', { name: 'Engineering', exact: true }).click()
  await expect(members(alice.page)).toHaveCount(1)
  await expect(members(alice.page)).toContainText('Bob')
  await expect(members(alice.page)).toContainText('Platform')
  // The same with a query: the core's search limits itself to the subtree.
  const search = alice.page.getByRole('searchbox', { name: 'Search the directory' })
  await search.fill('bo')
  await expect(members(alice.page)).toHaveCount(1)
  await search.fill('alice')
  await expect(alice.page.getByText('Nobody matches “alice”.')).toBeVisible()
  await search.fill('')
  await tree.getByRole('button', { name: 'All members', exact: true }).click()
  await expect(members(alice.page)).toHaveCount(2)

  // Bob's copy of the org tree arrives over the membership log.
  await show(bob.page, 'Directory')
  await bob.page.getByRole('region', { name: 'Departments' }).getByRole('button', { name: 'Engineering', exact: true }).click()
  await expect(members(bob.page)).toHaveCount(1)
  await expect(members(bob.page)).toContainText('Bob')

  // Sixteen more levels below Platform, walked open with the keyboard alone.
  const [ws] = await alice.node.api.call('workspaces.list', {})
  let parentId = (await alice.node.api.call('workspaces.departments', { workspaceId: ws!.id })).find((d) => d.name === 'Platform')?.id ?? null
  for (let level = 1; level <= 16; level++) {
    const list = await alice.node.api.call('workspaces.saveDepartment', { workspaceId: ws!.id, parentId, name: `Level ${level}` })
    parentId = list.find((d) => d.name === `Level ${level}`)?.id ?? null
  }
  await expect(tree.getByRole('button', { name: 'Expand Engineering' })).toHaveAttribute('aria-expanded', 'false')
  await tree.getByRole('button', { name: 'Engineering', exact: true }).focus()
  for (let i = 0; i < 17; i++) {
    await alice.page.keyboard.press('ArrowRight')
    await alice.page.keyboard.press('ArrowRight')
  }
  const deepest = tree.getByRole('button', { name: 'Level 16', exact: true })
  await expect(deepest).toBeFocused()
  const indent = async (name: string): Promise<number> => (await tree.getByRole('button', { name, exact: true }).boundingBox())?.x ?? 0
  expect(await indent('Level 16')).toBeGreaterThan(await indent('Level 1'))
  await deepest.click()
  await expect(members(alice.page)).toHaveCount(0)
  await expect(alice.page.getByText('Nobody in this department yet.')).toBeVisible()
})

test('an admin removes a member from the console', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await acmeWithBob(alice, bob)

  await show(alice.page, 'Admin')
  await expect(adminRows(alice.page).filter({ hasText: 'Bob' })).toBeVisible()
  // The owner's own row can be neither changed nor removed.
  await expect(alice.page.getByRole('button', { name: 'Remove Alice' })).toHaveCount(0)
  await expect(alice.page.getByRole('combobox', { name: 'Role of Bob' })).toHaveValue('member')

  await alice.page.getByRole('button', { name: 'Remove Bob' }).click()
  const confirm = alice.page.getByRole('dialog', { name: 'Remove Bob?' })
  await confirm.getByRole('button', { name: 'Remove', exact: true }).click()
  await expect(confirm).toHaveCount(0)
  await expect(adminRows(alice.page).filter({ hasText: 'Bob' })).toHaveCount(0)
  await expect(adminRows(alice.page)).toHaveCount(1)

  await show(alice.page, 'Directory')
  await expect(members(alice.page)).toHaveCount(1)
  await expect(members(alice.page)).toContainText('Alice')
})

test('the owner hands the workspace over in the console, then leaves it from the settings; the new owner sees them gone', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await acmeWithBob(alice, bob)

  // The owner cannot leave yet: told to hand over first.
  await alice.page.getByRole('button', { name: 'Settings' }).click()
  const settings = alice.page.getByRole('dialog', { name: 'Settings' })
  await expect(settings.getByText('You own this workspace.')).toBeVisible()
  await expect(settings.getByTestId('leave-workspace')).toHaveCount(0)
  await settings.getByRole('button', { name: 'Close' }).click()

  await show(alice.page, 'Admin')
  await alice.page.getByRole('button', { name: 'Make owner: Bob' }).click()
  const handOver = alice.page.getByRole('dialog', { name: 'Make Bob the owner of Acme?' })
  await shoot(alice.page, 'hand-over', 900)
  await handOver.getByRole('button', { name: 'Make owner', exact: true }).click()
  await expect(handOver).toHaveCount(0)
  const workspaceBox = (page: typeof alice.page): ReturnType<typeof page.getByRole> => page.getByRole('combobox', { name: 'Workspace' })
  await expect(workspaceBox(alice.page)).toContainText('Acme · Admin')
  await expect(workspaceBox(bob.page)).toContainText('Acme · Owner')
  await expect(alice.page.getByRole('combobox', { name: 'Role of Bob' })).toHaveCount(0)

  // Now an admin, Alice may leave.
  await alice.page.getByRole('button', { name: 'Settings' }).click()
  await settings.getByTestId('leave-workspace').scrollIntoViewIfNeeded()
  await shoot(alice.page, 'leave-workspace', 900)
  await settings.getByTestId('leave-workspace').click()
  const confirm = alice.page.getByRole('dialog', { name: 'Leave Acme?' })
  await confirm.getByRole('button', { name: 'Leave', exact: true }).click()
  await expect(confirm).toHaveCount(0)
  await expect(settings.getByTestId('leave-workspace')).toHaveCount(0)
  await settings.getByRole('button', { name: 'Close' }).click()
  await expect(workspaceBox(alice.page)).toContainText('Acme (no longer a member)')

  await show(bob.page, 'Admin')
  await expect(adminRows(bob.page)).toHaveCount(1)
  await expect(adminRows(bob.page).filter({ hasText: 'Alice' })).toHaveCount(0)
})

test('a member edits their directory profile and presence; colleagues see both', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await acmeWithBob(alice, bob)

  await bob.page.getByRole('button', { name: 'Settings' }).click()
  const profile = bob.page.getByRole('form', { name: 'My profile in Acme' })
  await profile.getByRole('textbox', { name: 'Title' }).fill('Backend engineer')
  await profile.getByRole('textbox', { name: 'Email' }).fill('bob@acme.test')
  // A 1×1 PNG: the app crops and shrinks whatever is picked into a small square picture.
  await profile.locator('input[type="file"]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64') })
  await expect(profile.locator('img.avatar')).toHaveAttribute('src', /^data:image\/(webp|jpeg);base64,/)
  await profile.getByRole('button', { name: 'Save profile' }).click()
  await expect(profile.getByRole('status')).toHaveText('Saved')
  await bob.page.getByRole('combobox', { name: 'Your status' }).selectOption('dnd')
  await bob.page.getByRole('button', { name: 'Close' }).click()
  await expect(bob.page.getByRole('navigation').locator('header').getByRole('img', { name: 'Do not disturb' })).toBeVisible()

  await show(alice.page, 'Directory')
  await alice.page.getByRole('searchbox', { name: 'Search the directory' }).fill('backend')
  const row = members(alice.page)
  await expect(row).toHaveCount(1)
  await expect(row).toContainText('Bob')
  await expect(row).toContainText('Backend engineer')
  await expect(row.getByRole('img', { name: 'Do not disturb' })).toBeVisible()
  await expect(row.locator('img.avatar')).toHaveAttribute('src', /^data:image\/(webp|jpeg);base64,/)
})

test('no serious or critical accessibility violations on the workspace screens, in both themes', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob')
  await expect(bob.page.getByRole('heading', { name: 'Bring your team together' })).toBeVisible()
  expect(await seriousViolations(bob.page), 'no-workspace card').toEqual([])
  await bob.page.getByRole('button', { name: 'Join with an invite' }).click()
  expect(await seriousViolations(bob.page), 'join dialog').toEqual([])
  await bob.page.keyboard.press('Escape')

  await acmeWithBob(alice, bob)
  const [ws] = await alice.node.api.call('workspaces.list', {})
  const workspaceId = ws!.id
  const sales = await alice.node.api.call('workspaces.saveDepartment', { workspaceId, parentId: null, name: 'Sales' })
  await alice.node.api.call('workspaces.saveDepartment', { workspaceId, parentId: sales[0]?.id ?? null, name: 'North' })
  const [bobsView] = await bob.node.api.call('workspaces.list', {})
  await alice.node.api.call('workspaces.assign', { workspaceId, userId: bobsView!.userId, departments: [sales[0]!.id] })

  const page = alice.page
  for (const theme of ['light', 'dark']) {
    await page.getByRole('button', { name: 'Settings' }).click()
    await page.getByLabel('Theme').selectOption(theme)
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await expect(page.getByRole('form', { name: 'My profile in Acme' })).toBeVisible()
    expect(await seriousViolations(page), `settings with profile, ${theme}`).toEqual([])
    await page.getByRole('button', { name: 'Close' }).click()

    await show(page, 'Directory')
    await page.getByRole('region', { name: 'Departments' }).getByRole('button', { name: 'Expand Sales' }).click()
    await expect(members(page).filter({ hasText: 'Bob' })).toBeVisible()
    expect(await seriousViolations(page), `directory, ${theme}`).toEqual([])

    await show(page, 'Admin')
    await expect(adminRows(page)).toHaveCount(2)
    expect(await seriousViolations(page), `admin console, ${theme}`).toEqual([])
    await page.getByRole('button', { name: 'Invite people' }).click()
    expect(await seriousViolations(page), `invite dialog, ${theme}`).toEqual([])
    await page.getByRole('dialog').getByRole('button', { name: 'Create invite link' }).click()
    await expect(page.getByRole('textbox', { name: 'Invite link' })).toBeVisible()
    expect(await seriousViolations(page), `invite link, ${theme}`).toEqual([])
    await page.getByRole('button', { name: 'Done' }).click()
    await page.getByRole('button', { name: 'Invite from CSV…' }).click()
    const csv = page.getByRole('dialog', { name: 'Invite people from a CSV file' })
    await csv.getByRole('textbox', { name: 'Rows' }).fill('name,email\n,nobody@acme.com\n')
    await csv.getByRole('button', { name: 'Create invites' }).click()
    await expect(csv.getByTestId('csv-errors')).toBeVisible()
    expect(await seriousViolations(page), `CSV invite with errors, ${theme}`).toEqual([])
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'New workspace' }).click()
    expect(await seriousViolations(page), `new workspace dialog, ${theme}`).toEqual([])
    await page.keyboard.press('Escape')
  }
})
