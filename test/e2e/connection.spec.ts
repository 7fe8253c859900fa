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

    // Without --relay, Settings says how to add one.
    await bob.page.getByRole('button', { name: 'Settings' }).click()
    await expect(bob.page.getByRole('region', { name: 'Connection' })).toContainText('Start with --relay <address> to reach colleagues beyond the LAN.')
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
    const relays = bob.page.getByRole('region', { name: 'Connection' }).getByRole('list', { name: 'Relays' })
    await expect(relays.getByRole('listitem')).toHaveText([new RegExp(`${relay.address}.*Reservation held`)], { timeout: 30_000 })
    expect(await seriousViolations(alice.page), 'console with relays').toEqual([])
  } finally {
    await relay.stop()
    await removeDataDir(relay.dataDir)
  }
})
