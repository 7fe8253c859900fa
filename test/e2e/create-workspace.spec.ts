import { expect, test } from './fixtures.js'
import type { Page } from '@playwright/test'

function peopleList(page: Page) {
  return page.getByRole('region', { name: 'People' })
}

function conversationsList(page: Page) {
  return page.getByRole('region', { name: 'Conversations' })
}

test('creating a workspace says who is cut off and invites the colleagues connected now; one click joins; the people list is then its members', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  const carol = await people.open('Carol', { peers: [alice] })
  // In no workspace the people list is the devices met: Bob and Carol, loose, reachable.
  await expect(peopleList(alice.page).getByTestId('person').filter({ hasText: 'Bob' })).toHaveAttribute('data-presence', 'online')
  await expect(peopleList(alice.page).getByTestId('person').filter({ hasText: 'Carol' })).toHaveAttribute('data-presence', 'online')

  await alice.page.getByRole('button', { name: 'Create a workspace' }).click()
  const dialog = alice.page.getByRole('dialog', { name: 'New workspace' })
  // The dialog says in words what a workspace does to devices outside it, before anything happens.
  await expect(dialog.getByTestId('members-only')).toContainText('Devices that are not in it are disconnected')
  const offered = dialog.getByRole('group', { name: /Invite the people you are connected to now/ })
  await expect(offered.getByRole('checkbox', { name: 'Bob' })).toBeChecked()
  await expect(offered.getByRole('checkbox', { name: 'Carol' })).toBeChecked()
  await expect(dialog.getByRole('button', { name: 'Create and invite 2' })).toBeVisible()
  // Carol is not a colleague here: left out on purpose.
  await offered.getByRole('checkbox', { name: 'Carol' }).uncheck()
  await dialog.getByRole('textbox', { name: 'Workspace name' }).fill('Acme')
  await dialog.getByRole('button', { name: 'Create and invite 1' }).click()
  await expect(dialog).toHaveCount(0)
  await expect(alice.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Owner')

  // The workspace's people are its members: nobody else yet, whoever is still connected.
  await expect(peopleList(alice.page).getByTestId('person')).toHaveCount(0)
  await expect(peopleList(alice.page)).toContainText('Nobody else is in this workspace yet')

  // Bob got the invite in his conversation with Alice, and joins with one click.
  const invite = bob.page.getByTestId('message').filter({ hasText: 'You are invited to the Enclave workspace "Acme"' })
  await conversationsList(bob.page).getByRole('button', { name: /Alice/ }).click()
  await expect(invite).toContainText('enclave://join/')
  await invite.getByRole('button', { name: 'Join the workspace' }).click()
  // Joined: the DM with Alice becomes the DM between two colleagues and opens in place of the old
  // one; the invite there says Bob is in (it said he joined, if it is still the same view).
  await expect(invite.getByRole('status')).toHaveText(/^(You joined the workspace|You are in this workspace)\.$/)
  await expect(bob.page.getByRole('combobox', { name: 'Workspace', exact: true })).toContainText('Acme · Member')

  // Now each sees the other as a member, reachable; Carol, uninvited, is in nobody's list.
  const bobRow = peopleList(alice.page).getByTestId('person').filter({ hasText: 'Bob' })
  await expect(bobRow).toHaveAttribute('data-presence', 'online')
  await expect(peopleList(alice.page).getByTestId('person')).toHaveCount(1)
  await expect(peopleList(bob.page).getByTestId('person').filter({ hasText: 'Alice' })).toHaveAttribute('data-presence', 'online')
  await expect(peopleList(bob.page).getByTestId('person')).toHaveCount(1)
  await expect(alice.page.getByRole('status').filter({ hasText: 'Connected' })).toContainText('1 online')
  // Carol got nothing from Alice.
  await expect(conversationsList(carol.page).getByRole('button', { name: /Alice/ })).toHaveCount(0)

  // The conversation they had goes on.
  await bobRow.click()
  await alice.page.getByRole('textbox', { name: /Message/ }).fill('Welcome aboard!')
  await alice.page.getByRole('textbox', { name: /Message/ }).press('Enter')
  await expect(bob.page.getByTestId('message').filter({ hasText: 'Welcome aboard!' })).toBeVisible()
})
