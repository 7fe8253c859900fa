import { expect, test } from './fixtures.js'
import { shoot } from './ui-steps.js'
import type { Page } from '@playwright/test'

function composer(page: Page) {
  return page.getByRole('textbox', { name: /Message|发消息给/ })
}

function messages(page: Page) {
  return page.getByTestId('message')
}

async function openChatWith(page: Page, name: string): Promise<void> {
  await page.getByRole('region', { name: /People|联系人/ }).getByRole('button', { name }).click()
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible()
}

test('Alice sends, Bob sees it and replies, both see their messages delivered', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })

  await openChatWith(alice.page, 'Bob')
  await composer(alice.page).fill('Hello Bob, lunch at noon?')
  await composer(alice.page).press('Enter')
  await expect(composer(alice.page)).toHaveValue('')

  // Bob gets it without opening anything: the conversation appears with an unread badge.
  const bobConversations = bob.page.getByRole('region', { name: 'Conversations' })
  await expect(bobConversations.getByRole('button', { name: /Alice/ })).toContainText('Hello Bob, lunch at noon?')
  await expect(bobConversations.getByLabel('1 unread')).toBeVisible()
  await bobConversations.getByRole('button', { name: /Alice/ }).click()
  await expect(messages(bob.page).filter({ hasText: 'Hello Bob, lunch at noon?' })).toBeVisible()
  await expect(bobConversations.getByLabel('1 unread')).toHaveCount(0)

  await composer(bob.page).fill('Sure!\nSee you there.')
  await composer(bob.page).press('Enter')

  await expect(messages(alice.page).filter({ hasText: 'See you there.' })).toBeVisible()
  await expect(messages(alice.page).filter({ hasText: 'Hello Bob' })).toHaveAttribute('data-state', 'delivered')
  await expect(messages(bob.page).filter({ hasText: 'See you there.' })).toHaveAttribute('data-state', 'delivered')
  // Shift+Enter made a new line in one message, not two messages.
  await expect(messages(alice.page)).toHaveCount(2)
})

test('Shift+Enter adds a line; drafts are kept per conversation', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await people.open('Carol', { peers: [alice] })
  await expect(bob.page.getByRole('navigation')).toBeVisible()

  await openChatWith(alice.page, 'Bob')
  await composer(alice.page).fill('half-written for Bob')
  await openChatWith(alice.page, 'Carol')
  await expect(composer(alice.page)).toHaveValue('')
  await composer(alice.page).pressSequentially('line one')
  await composer(alice.page).press('Shift+Enter')
  await composer(alice.page).pressSequentially('line two')
  await expect(composer(alice.page)).toHaveValue('line one\nline two')
  await openChatWith(alice.page, 'Bob')
  await expect(composer(alice.page)).toHaveValue('half-written for Bob')
})

test('the language switches live between English and Simplified Chinese; do-not-disturb hours are kept by the core', async ({ people }) => {
  const alice = await people.open('Alice')
  await alice.page.getByRole('button', { name: 'Settings' }).click()
  // Quiet hours (the desktop notifier reads them from the core): 22:00 to 08:00 at first, then changed.
  await alice.page.getByLabel('Do not disturb every day').check()
  await alice.page.getByLabel('from', { exact: true }).fill('21:30')
  await expect.poll(async () => (await alice.node.api.call('profile.get', {})).quietHours).toEqual({ from: 21 * 60 + 30, to: 8 * 60 })
  await shoot(alice.page, 'settings-quiet-hours', 900)
  await alice.page.getByLabel('Language').selectOption('zh-CN')
  await expect(alice.page.getByRole('heading', { name: '设置' })).toBeVisible()
  await alice.page.getByRole('button', { name: '关闭' }).click()
  await expect(alice.page.getByRole('heading', { name: '会话' })).toBeVisible()
  await expect(alice.page.locator('html')).toHaveAttribute('lang', 'zh-CN')
  // The choice survives a reload.
  await alice.page.reload()
  await expect(alice.page.getByRole('heading', { name: '联系人' })).toBeVisible()
  await alice.page.getByRole('button', { name: '设置' }).click()
  await alice.page.getByLabel('语言').selectOption('en')
  await expect(alice.page.getByRole('heading', { name: 'Settings' })).toBeVisible()
})

test('history survives a restart of the node', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await openChatWith(alice.page, 'Bob')
  for (const text of ['first', 'second', 'third']) {
    await composer(alice.page).fill(text)
    await composer(alice.page).press('Enter')
  }
  // All three shown (stored) and the last delivered: on a loaded machine "last" could still be
  // the second while the third was on its way to the store, and the stop came first.
  await expect(messages(alice.page)).toHaveCount(3)
  await expect(messages(alice.page).last()).toHaveAttribute('data-state', 'delivered')

  await alice.stop()
  await expect(alice.page.getByTestId('reconnecting')).toContainText('Reconnecting…')
  await alice.restart()
  await alice.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ }).click()
  await expect(messages(alice.page)).toHaveText([/first/, /second/, /third/])
  await expect(bob.page.getByRole('navigation')).toBeVisible()
})

test('a message to an offline peer shows as waiting, then delivered when the peer returns', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await openChatWith(alice.page, 'Bob')
  await bob.stop()
  await expect(alice.page.getByRole('main').getByRole('img', { name: 'Offline' })).toBeVisible({ timeout: 30_000 })

  await composer(alice.page).fill('are you there?')
  await composer(alice.page).press('Enter')
  const waiting = messages(alice.page).filter({ hasText: 'are you there?' })
  await expect(waiting).toHaveAttribute('data-state', 'pending')
  await expect(waiting).toContainText('Waiting for Bob to come online')

  await bob.restart()
  await expect(waiting).toHaveAttribute('data-state', 'delivered', { timeout: 45_000 })
  await bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ }).click()
  await expect(messages(bob.page).filter({ hasText: 'are you there?' })).toHaveCount(1)
})

test('a long conversation is virtualized and loads older messages while scrolling up', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  for (let start = 0; start < 2000; start += 200) {
    await Promise.all(Array.from({ length: 200 }, (_, i) => bob.node.api.call('chat.send', { peerId: alice.node.peerId, text: `message ${start + i}` })))
  }
  await expect(alice.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ })).toContainText('message 1999', { timeout: 30_000 })
  await alice.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ }).click()
  await expect(messages(alice.page).filter({ hasText: 'message 1999' })).toBeVisible()
  // Only what is on screen (plus a margin) is in the DOM.
  expect(await messages(alice.page).count()).toBeLessThan(80)

  const log = alice.page.getByRole('log')
  await log.hover()
  await expect(async () => {
    await alice.page.mouse.wheel(0, -20_000)
    await expect(messages(alice.page).getByText('message 0', { exact: true })).toBeVisible({ timeout: 300 })
  }).toPass({ timeout: 60_000 })
  await expect(alice.page.getByText('This is the beginning of your conversation with Bob.')).toBeVisible()
  // All 2,000 were unread when the conversation opened: "New" starts above the first.
  await expect(alice.page.getByTestId('new-messages')).toBeVisible()
})

test('a conversation opened with unread messages marks where they start and offers to go up to the first', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await openChatWith(alice.page, 'Bob')
  await composer(alice.page).fill('anything new?')
  await composer(alice.page).press('Enter')
  // Looking elsewhere (not at the conversation) while Bob writes: his messages stay unread.
  await alice.page.getByRole('button', { name: 'Mentions', exact: true }).click()
  for (let i = 0; i < 40; i++) await bob.node.api.call('chat.send', { peerId: alice.node.peerId, text: `update ${i}` })
  const row = alice.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ })
  await expect(row.getByLabel('40 unread')).toBeVisible()
  await row.click()
  await expect(messages(alice.page).filter({ hasText: 'update 39' })).toBeVisible()
  const pill = alice.page.getByTestId('jump-unread')
  await expect(pill).toHaveText('↑ 40 new messages')
  await pill.click()
  await expect(alice.page.getByTestId('new-messages')).toBeInViewport()
  await expect(messages(alice.page).filter({ hasText: 'update 0' })).toBeInViewport()
})

test('messages are formatted (bold, code with highlighting, lists, links that open outside), a long one folds, and markup a colleague types stays text', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await openChatWith(alice.page, 'Bob')
  // The composer's shortcuts wrap the selection in markdown.
  await composer(alice.page).fill('Launch')
  await composer(alice.page).press('ControlOrMeta+a')
  await composer(alice.page).press('ControlOrMeta+b')
  await expect(composer(alice.page)).toHaveValue('**Launch**')
  await composer(alice.page).press('ControlOrMeta+e')
  await expect(composer(alice.page)).toHaveValue('**`Launch`**')
  // The formatting bar does the same, here for a list; rich text pasted from a page or a document
  // keeps its formatting, as markdown.
  await composer(alice.page).fill('milk\neggs')
  await composer(alice.page).press('ControlOrMeta+a')
  await alice.page.getByRole('toolbar', { name: 'Formatting' }).getByRole('button', { name: /^Bulleted list/ }).click()
  await expect(composer(alice.page)).toHaveValue('- milk\n- eggs')
  await composer(alice.page).fill('')
  await alice.page.evaluate(`(() => {
    const data = new DataTransfer()
    data.setData('text/html', '<p>Ship <b>today</b></p><ul><li>one</li></ul>')
    data.setData('text/plain', 'Ship today one')
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
  })()`)
  await expect(composer(alice.page)).toHaveValue('Ship **today**\n\n- one')
  const formatted = [
    '**Launch** is *Friday*, ~~Thursday~~; run `npm test` first.',
    '```ts',
    'const ready: boolean = true // checked',
    '```',
    '- notes: https://example.com/plan',
    '- [the board](javascript:alert(1))',
    '<img src=x onerror="window.pwned = 1"><script>window.pwned = 2</script>'
  ].join('\n')
  await composer(alice.page).fill(formatted)
  await composer(alice.page).press('Enter')
  // The sidebar's one-line preview shows the words, not the markdown.
  await expect(alice.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ })).toContainText('Launch is Friday, Thursday; run npm test first.')
  await composer(alice.page).fill(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n'))
  await composer(alice.page).press('Enter')

  await expect(messages(alice.page).last()).toHaveAttribute('data-state', 'delivered')
  await shoot(alice.page, 'message-states', 900)
  await openChatWith(bob.page, 'Alice')
  const text = messages(bob.page).filter({ hasText: 'Launch' }).getByTestId('message-text')
  await expect(text.locator('strong')).toHaveText('Launch')
  await expect(text.locator('em')).toHaveText('Friday')
  await expect(text.locator('s')).toHaveText('Thursday')
  await expect(text.locator('p code')).toHaveText('npm test')
  await expect(text.locator('pre code .hljs-keyword').first()).toHaveText('const')
  await expect(text.locator('li')).toHaveCount(2)
  const link = text.locator('a')
  await expect(link).toHaveCount(1)
  await expect(link).toHaveAttribute('href', 'https://example.com/plan')
  await expect(link).toHaveAttribute('target', '_blank')
  // The typed markup is shown as typed and did nothing.
  await expect(text).toContainText('<img src=x onerror="window.pwned = 1"><script>window.pwned = 2</script>')
  await expect(text).toContainText('[the board](javascript:alert(1))')
  await expect(text.locator('img, script')).toHaveCount(0)
  expect(await bob.page.evaluate('window.pwned')).toBeUndefined()

  // Forty lines fold behind "Show more", and open in full.
  const long = messages(bob.page).filter({ hasText: 'line 1' }).last()
  const more = long.getByRole('button', { name: 'Show more' })
  await expect(more).toBeVisible()
  const folded = long.getByTestId('message-text')
  const overflow = (): Promise<number> => folded.evaluate((el: { scrollHeight: number; clientHeight: number }) => el.scrollHeight - el.clientHeight)
  expect(await overflow()).toBeGreaterThan(100)
  await shoot(bob.page, 'message-formatting', 900)
  await more.click()
  await expect(long.getByRole('button', { name: 'Show less' })).toHaveAttribute('aria-expanded', 'true')
  expect(await overflow()).toBeLessThanOrEqual(1)
  await bob.page.emulateMedia({ colorScheme: 'dark' })
  await shoot(bob.page, 'message-formatting-dark', 1280)
})
