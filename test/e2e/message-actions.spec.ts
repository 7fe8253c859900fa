import { expect, test, type People, type Person } from './fixtures.js'
import { acmeWithBob, shoot } from './ui-steps.js'
import type { Page } from '@playwright/test'

function composer(page: Page) {
  return page.getByRole('textbox', { name: /Message|发消息给/ })
}

/** The message whose own text (not a quote of it) has `text`. */
function message(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-text').filter({ hasText: text }) })
}

async function openChatWith(page: Page, name: string): Promise<void> {
  await page.getByRole('region', { name: /People|联系人/ }).getByRole('button', { name }).click()
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible()
}

/** Points at a message so its toolbar shows, and presses one of its actions. */
async function action(page: Page, text: string, name: string | RegExp): Promise<void> {
  const item = message(page, text).last()
  await item.getByTestId('message-text').hover()
  await item.getByTestId('message-actions').getByRole('button', { name, exact: true }).click()
}

/** Alice and Bob in their DM, both looking at it, with Alice's first message `text` sent. */
async function dmOpened(people: People, text: string): Promise<{ alice: Person; bob: Person }> {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await openChatWith(alice.page, 'Bob')
  await composer(alice.page).fill(text)
  await composer(alice.page).press('Enter')
  await openChatWith(bob.page, 'Alice')
  return { alice, bob }
}

test('react, reply with a quote, edit with ↑, pin and recall: the other side sees each', async ({ people }) => {
  const { alice, bob } = await dmOpened(people, 'Lunch at noon?')
  await expect(message(bob.page, 'Lunch at noon?')).toBeVisible()
  // Bob read it: Alice's message says so (receipts are batched, within a few seconds).
  await expect(message(alice.page, 'Lunch at noon?').getByTestId('message-read')).toHaveText('Read')

  // Bob reacts from the toolbar; Alice adds hers by pressing the same chip.
  await action(bob.page, 'Lunch at noon?', 'React with 👍')
  const aliceChip = message(alice.page, 'Lunch at noon?').getByTestId('reactions').getByRole('button', { name: /Bob reacted with 👍/ })
  await expect(aliceChip).toHaveAttribute('aria-pressed', 'false')
  await aliceChip.click()
  const bobChip = message(bob.page, 'Lunch at noon?').getByTestId('reactions').getByRole('button', { name: 'Bob, Alice reacted with 👍' })
  await expect(bobChip).toHaveAttribute('aria-pressed', 'true')
  await expect(bobChip).toContainText('2')

  // Any emoji through the picker, found by pinyin: 火箭 is "huojian".
  await action(bob.page, 'Lunch at noon?', 'More reactions')
  const picker = bob.page.getByTestId('emoji-picker')
  await picker.getByRole('searchbox').fill('huojian')
  await expect(picker.getByRole('button', { name: 'rocket' })).toBeVisible()
  await shoot(bob.page, 'emoji-picker', 900)
  await picker.getByRole('searchbox').press('Enter')
  await expect(message(alice.page, 'Lunch at noon?').getByTestId('reactions').getByRole('button', { name: /Bob reacted with 🚀/ })).toBeVisible()

  // Bob replies: the composer says to what, and the reply quotes it on both sides.
  await action(bob.page, 'Lunch at noon?', 'Reply')
  await expect(bob.page.getByTestId('composer-mode')).toContainText('Replying to Alice')
  await composer(bob.page).fill('Yes, see you there')
  await composer(bob.page).press('Enter')
  await expect(bob.page.getByTestId('composer-mode')).toHaveCount(0)
  const quote = message(alice.page, 'see you there').getByTestId('message-quote')
  await expect(quote).toContainText('Lunch at noon?')

  // ↑ in Alice's empty composer edits her last message; Bob sees the new text, marked, and his quote follows.
  await composer(alice.page).press('ArrowUp')
  await expect(alice.page.getByTestId('composer-mode')).toContainText('Editing')
  await expect(composer(alice.page)).toHaveValue('Lunch at noon?')
  await composer(alice.page).fill('Lunch at 12:30?')
  await composer(alice.page).press('Enter')
  await expect(message(bob.page, 'Lunch at 12:30?').getByTestId('message-edited')).toBeVisible()
  await expect(message(bob.page, 'see you there').getByTestId('message-quote')).toContainText('Lunch at 12:30?')
  await expect(composer(alice.page)).toHaveValue('')
  // Her message info keeps the earlier text for her.
  await action(alice.page, 'Lunch at 12:30?', 'Message info')
  await alice.page.getByTestId('edit-history').getByText('Earlier versions (1)').click()
  await expect(alice.page.getByTestId('edit-history')).toContainText('Lunch at noon?')
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()

  // Alice pins it; Bob sees the pin, then the same through the API-backed list.
  await action(alice.page, 'Lunch at 12:30?', 'Pin')
  await expect(message(bob.page, 'Lunch at 12:30?').getByTestId('message-pinned')).toBeAttached()
  await message(alice.page, 'Lunch at 12:30?').getByTestId('message-text').hover()
  await shoot(alice.page, 'message-actions', 1280)
  await shoot(alice.page, 'message-actions', 900)

  // Bob saves it for later: it is in his Saved list (only his), opens in place, and comes off again.
  await action(bob.page, 'Lunch at 12:30?', 'Save for later')
  await expect(message(bob.page, 'Lunch at 12:30?').getByTestId('message-actions').getByRole('button', { name: 'Remove from saved' })).toHaveAttribute('aria-pressed', 'true')
  await bob.page.getByRole('button', { name: 'Saved', exact: true }).click()
  await expect(bob.page.getByTestId('saved')).toHaveCount(1)
  await expect(bob.page.getByTestId('saved')).toContainText('Lunch at 12:30?')
  await bob.page.getByTestId('saved').click()
  await expect(bob.page.getByRole('heading', { level: 1, name: 'Alice' })).toBeVisible()
  await alice.page.getByRole('button', { name: 'Saved', exact: true }).click()
  await expect(alice.page.getByText('Nothing saved.')).toBeVisible()
  await openChatWith(alice.page, 'Bob')
  await bob.page.getByRole('button', { name: 'Saved', exact: true }).click()
  await bob.page.getByRole('button', { name: 'Remove from saved' }).click()
  await expect(bob.page.getByTestId('saved')).toHaveCount(0)
  await expect(bob.page.getByText('Nothing saved.')).toBeVisible()
  await openChatWith(bob.page, 'Alice')

  // A message sent to the wrong person is recalled: gone on Bob's screen, a tombstone instead.
  await composer(alice.page).fill('the Q3 numbers CANARY-recall')
  await composer(alice.page).press('Enter')
  await expect(message(bob.page, 'CANARY-recall')).toBeVisible()
  await action(alice.page, 'CANARY-recall', 'Recall for everyone')
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Recall for everyone' }).click()
  await expect(bob.page.getByTestId('message-recalled').filter({ hasText: 'Alice recalled a message' })).toBeVisible()
  await expect(alice.page.getByTestId('message-recalled').filter({ hasText: 'You recalled a message' })).toBeVisible()
  await expect(bob.page.getByText('CANARY-recall')).toHaveCount(0)
  // Neither side's conversation list keeps it either.
  await expect(bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ })).toContainText('Alice recalled a message')
  await expect(alice.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ })).toContainText('You recalled a message')
  await shoot(bob.page, 'message-actions-bob', 900)
  await bob.page.emulateMedia({ colorScheme: 'dark' })
  await shoot(bob.page, 'message-actions-bob-dark', 1280)
})

test('@ offers the people of the conversation, by pinyin initials too; the one mentioned sees a badge and the message marked', async ({ people }) => {
  const alice = await people.open('Alice')
  const zhang = await people.open('张伟', { peers: [alice] })
  await acmeWithBob(alice, zhang)
  await openChatWith(alice.page, '张伟')
  await composer(alice.page).pressSequentially('please check, @zw')
  const picker = alice.page.getByRole('listbox', { name: 'People to mention' })
  await expect(picker.getByRole('option', { name: '张伟' })).toBeVisible()
  await composer(alice.page).press('Enter')
  await expect(composer(alice.page)).toHaveValue('please check, @张伟 ')
  await expect(picker).toHaveCount(0)
  await composer(alice.page).pressSequentially('the Q3 draft')
  await composer(alice.page).press('Enter')

  const row = zhang.page.getByRole('region', { name: /Conversations|会话/ }).getByRole('button', { name: /Alice/ })
  await expect(row.getByTestId('mention-badge')).toBeVisible()
  await row.click()
  await expect(message(zhang.page, 'the Q3 draft').locator('.bubble.mentioned')).toBeVisible()
  await expect(row.getByTestId('mention-badge')).toHaveCount(0)
  await shoot(zhang.page, 'mention', 900)
})

test('a reply in a thread stays in the thread panel; "also send" puts it in the conversation too', async ({ people }) => {
  const { alice, bob } = await dmOpened(people, 'Release on Friday?')
  await action(bob.page, 'Release on Friday?', 'Reply in thread')
  const bobThread = bob.page.getByTestId('thread')
  await expect(bobThread.getByTestId('message-text').first()).toHaveText('Release on Friday?')
  await bobThread.getByRole('textbox', { name: 'Reply in the thread' }).fill('Friday works for QA')
  await bobThread.getByRole('textbox', { name: 'Reply in the thread' }).press('Enter')
  await expect(bobThread.getByTestId('message-text').filter({ hasText: 'Friday works for QA' })).toBeVisible()

  const aliceLog = alice.page.getByRole('log', { name: 'Messages with Bob' })
  await aliceLog.getByTestId('thread-link').filter({ hasText: '1 reply' }).click()
  const aliceThread = alice.page.getByTestId('thread')
  await expect(aliceThread.getByTestId('message-text').filter({ hasText: 'Friday works for QA' })).toBeVisible()
  await expect(aliceLog.getByText('Friday works for QA')).toHaveCount(0)
  await aliceThread.getByRole('checkbox', { name: 'Also send to Bob' }).check()
  await aliceThread.getByRole('textbox', { name: 'Reply in the thread' }).fill('Then Friday it is')
  await aliceThread.getByRole('textbox', { name: 'Reply in the thread' }).press('Enter')
  await expect(bob.page.getByRole('log', { name: 'Messages with Alice' }).getByTestId('message-text').filter({ hasText: 'Then Friday it is' })).toBeVisible()
  await expect(bobThread.getByTestId('message-text').filter({ hasText: 'Then Friday it is' })).toBeVisible()
  await expect(bob.page.getByRole('log', { name: 'Messages with Alice' }).getByTestId('thread-link')).toContainText('2 replies')
  await shoot(alice.page, 'thread', 1280)
  await shoot(alice.page, 'thread', 900)

  // The header's notifications menu: only mentions mutes the conversation (the list marks it);
  // nothing silences mentions too. The core keeps it, so the desktop notifier follows.
  const notify = bob.page.getByRole('combobox', { name: 'Notifications from this conversation' })
  await notify.selectOption({ label: 'Only mentions' })
  await expect(bob.page.getByRole('region', { name: 'Conversations' }).getByTestId('muted')).toBeVisible()
  await notify.selectOption({ label: 'Nothing' })
  await expect.poll(async () => (await bob.node.api.call('conversations.list', {}))[0]?.notify).toBe('nothing')
  await notify.selectOption({ label: 'All messages' })
  await expect(bob.page.getByRole('region', { name: 'Conversations' }).getByTestId('muted')).toHaveCount(0)
})

test('a link to a message, pasted in a conversation, opens that message in place', async ({ people }) => {
  const { alice, bob } = await dmOpened(people, 'the launch plan is in the board')
  const [plan] = await alice.node.api.call('chat.history', { peerId: bob.node.peerId, limit: 1 })
  if (plan === undefined) throw new Error('the first message was sent')
  for (let i = 0; i < 40; i++) await alice.node.api.call('chat.send', { peerId: bob.node.peerId, text: `chatter ${i}` })
  const link = `enclave://message/${encodeURIComponent(plan.id)}`
  await alice.node.api.call('chat.send', { peerId: bob.node.peerId, text: `as agreed: ${link}` })
  const withLink = message(bob.page, 'as agreed')
  await expect(withLink).toBeVisible()
  await expect(message(bob.page, 'the launch plan')).not.toBeInViewport()
  await withLink.getByRole('link').click()
  await expect(message(bob.page, 'the launch plan')).toBeInViewport()

  // Forwarded, it says whose it was and quotes it.
  await action(bob.page, 'the launch plan', 'Forward')
  const dialog = bob.page.getByRole('dialog', { name: 'Forward to…' })
  await dialog.getByRole('radio', { name: 'Alice' }).check()
  await dialog.getByRole('button', { name: 'Forward' }).click()
  const forwarded = message(alice.page, 'Forwarded from Alice:')
  await expect(forwarded.locator('blockquote')).toHaveText('the launch plan is in the board')
})
