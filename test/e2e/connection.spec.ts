import { expect, test } from './fixtures.js'
import { acmeWithBob, seriousViolations, show } from './ui-steps.js'
import { makeDataDir, removeDataDir, startNode } from '../helpers/node-process.js'
import type { Locator, Page } from '@playwright/test'

// Relayed peers stay relayed: moving them to a direct path (loopback always has one) is timed.
const STAY_RELAYED = { ENCLAVE_PATH_UPGRADE_MS: '0' }

function peopleRow(page: Page, name: string): Locator {
  return page.getByRole('region', { name: 'People' }).getByRole('button', { name: new RegExp(`^${name} `) })
}

/** The number next to a term in Settings → Connection. */
function count(connection: Locator, term: string): Locator {
  return connection.locator('dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]')
}

test('Settings shows the relay and its reservation, and each peer shows whether it is reached directly or through the relay', async ({ people }) => {
  const relay = await startNode(await makeDataDir('relay'), { relay: true, args: ['--allow-anyone'] })
  try {
    const alice = await people.open('Alice', { args: ['--relay', relay.address], env: STAY_RELAYED })
    const page = alice.page

    // Open before the reservation is certain: the section refreshes itself while it is open.
    await page.getByRole('button', { name: 'Settings' }).click()
    const connection = page.getByRole('region', { name: 'Connection' })
    await expect(connection).toContainText('Connected to the company relay: colleagues elsewhere can reach you too.')
    // Addresses are for admins and support: in the normal view there is none.
    await expect(connection.getByRole('list', { name: 'Relays' })).toHaveCount(0)
    await expect(page.getByRole('navigation').getByRole('status')).toHaveText('Connected · nobody reachable')
    await connection.getByText('Advanced: addresses and relays').click()
    const relays = connection.getByRole('list', { name: 'Relays' })
    await expect(relays.getByRole('listitem')).toHaveText([new RegExp(`${relay.address}.*Reservation held`)])
    await expect(connection.getByRole('list', { name: 'Your addresses' }).getByRole('listitem').filter({ hasText: '/p2p-circuit' }).first()).toContainText('Through a relay')
    await expect(count(connection, 'Of them through a relay')).toHaveText('0')

    // Bob reaches Alice through the relay, Carol directly; the counts follow without reopening.
    const bob = await people.open('Bob', { env: STAY_RELAYED })
    await bob.node.api.call('peers.dial', { address: `${relay.address}/p2p-circuit/p2p/${alice.node.peerId}` })
    await people.open('Carol', { peers: [alice] })
    await expect(count(connection, 'Of them through a relay')).toHaveText('1')
    await expect(count(connection, 'Open connections')).toHaveText('3')
    // In words, per person: how each is reached; the relay itself is no person.
    const reach = connection.getByRole('list', { name: 'Who you can reach' })
    await expect(reach.getByRole('listitem')).toHaveText([/Bob\s*Through the company relay/, /Carol\s*Directly, on this network/])
    await expect(connection).toContainText('You can reach 2 of 2 right now.')
    await expect(page.getByRole('navigation').getByRole('status')).toHaveText('Connected · 2 online')
    expect(await seriousViolations(page), 'settings with a relay').toEqual([])
    await page.getByRole('button', { name: 'Close' }).click()

    await expect(peopleRow(page, 'Bob')).toHaveAccessibleName(/Via relay/)
    await expect(peopleRow(page, 'Carol')).toHaveAccessibleName(/Direct/)
    await expect(peopleRow(bob.page, 'Alice')).toHaveAccessibleName(/Via relay/)
    await peopleRow(page, 'Bob').click()
    const header = page.getByRole('main').locator('header')
    await expect(header).toContainText('Via relay')
    await expect(header.locator('[title]', { hasText: 'Via relay' })).toHaveAttribute('title', /end-to-end encrypted/)
    expect(await seriousViolations(page), 'conversation through the relay').toEqual([])

    // Without a relay, Settings says what that means and what would fix it, in words.
    await bob.page.getByRole('button', { name: 'Settings' }).click()
    const bobConnection = bob.page.getByRole('region', { name: 'Connection' })
    await expect(bobConnection).toContainText('No company relay: only people on this network can reach you.')
    await expect(bobConnection).toContainText('ask your admin to set up a company relay')
    await expect(bobConnection).not.toContainText('/p2p/')
    await expect(bobConnection).not.toContainText('--relay')

    // Bob adds the relay his admin gave him, under Advanced; it is kept and reserved.
    await bobConnection.getByText('Advanced: addresses and relays').click()
    const field = bobConnection.getByRole('textbox', { name: 'Relay address (from your admin)' })
    await field.fill('/ip4/127.0.0.1/tcp/1')
    await bobConnection.getByRole('button', { name: 'Add relay' }).click()
    await expect(bobConnection.getByRole('alert')).toContainText('invalid params for net.addRelay')
    await field.fill(relay.address)
    await bobConnection.getByRole('button', { name: 'Add relay' }).click()
    await expect(bobConnection.getByRole('list', { name: 'Relays' }).getByRole('listitem')).toHaveText([new RegExp(`${relay.address}.*Added here.*Reservation held`)])
    await expect(bobConnection).toContainText('Connected to the company relay: colleagues elsewhere can reach you too.')
    expect(await seriousViolations(bob.page), 'settings, advanced open').toEqual([])
  } finally {
    await relay.stop()
    await removeDataDir(relay.dataDir)
  }
})

test('an admin lists the company relay in the console; a member reserves there without configuring anything', async ({ people }) => {
  // The people are started after it, so it cannot list them: a lab relay for anyone.
  const relay = await startNode(await makeDataDir('console-relay'), { relay: true, args: ['--allow-anyone'] })
  try {
    const alice = await people.open('Alice')
    const bob = await people.open('Bob', { peers: [alice] })
    await acmeWithBob(alice, bob)
    await show(alice.page, 'Admin')
    const section = alice.page.getByRole('region', { name: 'Company relays' })
    const field = section.getByRole('textbox', { name: /Relay addresses/ })
    await field.fill('/ip4/127.0.0.1/tcp/1/p2p-circuit')
    await section.getByRole('button', { name: 'Save relays' }).click()
    await expect(section.getByRole('alert')).toBeVisible()
    await field.fill(relay.address)
    await section.getByRole('button', { name: 'Save relays' }).click()
    await expect(section.getByRole('status')).toContainText('Saved')

    await bob.page.getByRole('button', { name: 'Settings' }).click()
    await bob.page.getByRole('region', { name: 'Connection' }).getByText('Advanced: addresses and relays').click()
    const relays = bob.page.getByRole('region', { name: 'Connection' }).getByRole('list', { name: 'Relays' })
    await expect(relays.getByRole('listitem')).toHaveText([new RegExp(`${relay.address}.*Reservation held`)], { timeout: 30_000 })
    expect(await seriousViolations(alice.page), 'console with relays').toEqual([])
  } finally {
    await relay.stop()
    await removeDataDir(relay.dataDir)
  }
})
