import { expect, test } from './fixtures.js'
import { seriousViolations, shoot } from './ui-steps.js'
import type { Person } from './fixtures.js'
import type { Page } from '@playwright/test'

/** Doc edits travel sealed between two nodes: allow them time on a busy machine. */
const ACROSS = { timeout: 30_000 }

/** Alice and Bob in their direct conversation, each with its notes & boards panel open. */
async function dmWithPanels(alice: Person, bob: Person): Promise<void> {
  for (const [me, them] of [[alice, bob], [bob, alice]] as const) {
    await me.page.getByRole('region', { name: 'People' }).getByRole('button', { name: them.name }).click()
    await expect(me.page.getByRole('heading', { level: 1, name: them.name })).toBeVisible()
    await me.page.getByRole('main').getByRole('button', { name: 'Notes & boards' }).click()
    await expect(me.page.getByRole('region', { name: 'Notes & boards' })).toBeVisible()
  }
}

async function createDoc(page: Page, kind: 'board' | 'note', title: string): Promise<void> {
  await page.getByRole('region', { name: 'Notes & boards' }).getByRole('button', { name: kind === 'board' ? 'New board' : 'New note' }).click()
  const dialog = page.getByRole('dialog', { name: kind === 'board' ? 'New board' : 'New note' })
  await dialog.getByRole('textbox', { name: 'Title' }).fill(title)
  await dialog.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible()
}

async function openDoc(page: Page, title: string): Promise<void> {
  await page.getByRole('region', { name: 'Notes & boards' }).getByRole('button', { name: new RegExp(`^${title}`) }).click(ACROSS)
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible()
}

/** Drags on the board from one point to another, in fractions of the canvas. */
async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = await page.getByTestId('board-canvas').boundingBox()
  if (box === null) throw new Error('no board canvas')
  await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1])
  await page.mouse.down()
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(box.x + box.width * (from[0] + (to[0] - from[0]) * i / 8), box.y + box.height * (from[1] + (to[1] - from[1]) * i / 8))
  }
  await page.mouse.up()
}

function shapes(page: Page) {
  return page.locator('[data-shape-count]')
}

test('two people draw on one board and see each other\'s strokes and cursor; undo takes back only one\'s own', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await dmWithPanels(alice, bob)
  await createDoc(alice.page, 'board', 'Sketch')
  await openDoc(bob.page, 'Sketch')

  await alice.page.getByRole('button', { name: 'Rectangle' }).click()
  await drag(alice.page, [0.2, 0.2], [0.4, 0.4])
  await expect(shapes(alice.page)).toHaveAttribute('data-shape-count', '1')
  await expect(shapes(bob.page)).toHaveAttribute('data-shape-count', '1', ACROSS)

  await bob.page.getByRole('button', { name: 'Pen' }).click()
  await drag(bob.page, [0.5, 0.5], [0.7, 0.6])
  await bob.page.getByRole('button', { name: 'Ellipse' }).click()
  await drag(bob.page, [0.6, 0.2], [0.8, 0.3])
  await expect(shapes(alice.page)).toHaveAttribute('data-shape-count', '3', ACROSS)

  // Alice's pointer over the board shows on Bob's screen with her name.
  const box = await alice.page.getByTestId('board-canvas').boundingBox()
  if (box === null) throw new Error('no board canvas')
  await alice.page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.7)
  await alice.page.mouse.move(box.x + box.width * 0.32, box.y + box.height * 0.72)
  await expect(bob.page.getByRole('main').getByText('Alice', { exact: true })).toBeVisible(ACROSS)

  // Alice undoes: her rectangle goes, and there is nothing more of hers to undo; Bob's stay.
  await alice.page.getByRole('button', { name: 'Undo' }).click()
  await expect(shapes(alice.page)).toHaveAttribute('data-shape-count', '2')
  await expect(alice.page.getByRole('button', { name: 'Undo' })).toBeDisabled()
  await expect(shapes(bob.page)).toHaveAttribute('data-shape-count', '2', ACROSS)
  await expect(bob.page.getByRole('button', { name: 'Undo' })).toBeEnabled()
  await alice.page.getByRole('button', { name: 'Redo' }).click()
  await expect(shapes(bob.page)).toHaveAttribute('data-shape-count', '3', ACROSS)
  expect(await seriousViolations(bob.page)).toEqual([])
  // The conversation beside the board: Bob says something there, Alice reads it beside hers.
  await bob.page.getByTestId('chat-beside-toggle').click()
  const bobBeside = bob.page.getByTestId('chat-beside')
  await bobBeside.getByRole('textbox', { name: /Message/ }).fill('see the ellipse')
  await bobBeside.getByRole('textbox', { name: /Message/ }).press('Enter')
  await alice.page.getByTestId('chat-beside-toggle').click()
  await expect(alice.page.getByTestId('chat-beside').getByTestId('message').filter({ hasText: 'see the ellipse' })).toBeVisible(ACROSS)
  await expect(alice.page.getByTestId('board-canvas')).toBeVisible()
  await shoot(alice.page, 'board-chat-beside', 1280)
  await shoot(alice.page, 'board-chat-beside', 900)
  expect(await seriousViolations(alice.page)).toEqual([])
  await alice.page.getByRole('button', { name: 'Close the chat beside the doc' }).click()
  await expect(alice.page.getByTestId('chat-beside')).toHaveCount(0)
  // In the dark theme the board is dark too: the same drawing, lightness inverted, hues kept.
  await expect(bob.page.getByTestId('board-canvas')).toHaveCSS('filter', 'none')
  await bob.page.emulateMedia({ colorScheme: 'dark' })
  await expect(bob.page.getByTestId('board-canvas')).toHaveCSS('filter', /invert\(0\.93\) hue-rotate\(180deg\)/)
  await shoot(bob.page, 'board-dark', 1280)
})

test('two people type in one note and see each other\'s words', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await dmWithPanels(alice, bob)
  await createDoc(alice.page, 'note', 'Minutes')
  await openDoc(bob.page, 'Minutes')

  const aliceEditor = alice.page.getByTestId('note-editor')
  const bobEditor = bob.page.getByTestId('note-editor')
  await aliceEditor.click()
  await alice.page.keyboard.type('Ship on Friday.')
  await expect(bobEditor).toContainText('Ship on Friday.', ACROSS)
  await bobEditor.click()
  await bob.page.keyboard.press('End')
  await bob.page.keyboard.press('Enter')
  await bob.page.keyboard.type('Bob tests the build.')
  await expect(aliceEditor).toContainText('Bob tests the build.', ACROSS)
  await expect(aliceEditor).toContainText('Ship on Friday.')

  // A checklist: Alice writes a task, Bob ticks it, Alice sees it done.
  await aliceEditor.click()
  await alice.page.keyboard.press('Control+End')
  await alice.page.keyboard.press('Enter')
  await alice.page.getByRole('toolbar').getByRole('button', { name: 'Checklist' }).click()
  await alice.page.keyboard.type('Book the venue')
  const bobTask = bob.page.getByRole('checkbox', { name: 'Done: Book the venue' })
  await expect(bobTask).toBeVisible(ACROSS)
  await bobTask.check()
  await expect(alice.page.getByRole('checkbox', { name: 'Done: Book the venue' })).toBeChecked(ACROSS)
  expect(await seriousViolations(alice.page)).toEqual([])
})
