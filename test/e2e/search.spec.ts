import * as Y from 'yjs'
import { expect, test } from './fixtures.js'
import { shoot } from './ui-steps.js'
import { seedHistory } from '../helpers/seed-history.js'

/** Messages in the conversation the hit is found in: a year of a busy direct conversation. */
const HISTORY = 100_000
/** The hit's place: this many of Bob's messages are older than it, the rest (and Alice's reply) newer. */
const HIT_AT = 1_000
const FILLER = ['weekly sync notes', '周报已经发到群里', 'the build is green again', '客户反馈整理好了', 'lunch at noon?', '明天上午开会讨论需求', 'shipping the release tonight', '测试环境已经更新']

test('Ctrl+K finds messages by Chinese and English words in a 100,000-message conversation, filters by sender, and opens a hit a year back in context', async ({ people }) => {
  test.setTimeout(240_000)
  // Alice dials Bob: a peer dialled on purpose is written down with its name (one that only
  // dialled in is kept by membership, and these two share no workspace).
  const bob = await people.open('Bob')
  const alice = await people.open('Alice', { peers: [bob] })
  const reply = await alice.node.api.call('chat.send', { peerId: bob.node.peerId, text: 'Budget numbers attached for the 预算评审 later' })
  await expect.poll(async () => (await bob.node.api.call('chat.history', { peerId: alice.node.peerId })).length).toBe(1)
  const conversations = alice.page.getByRole('region', { name: 'Conversations' })
  await expect(conversations.getByRole('button', { name: /Bob/ })).toBeVisible()
  // A year of Bob's messages, written into Alice's store while both are off; Bob stays away (his
  // device never sent them, so it must not be asked about them).
  await bob.stop()
  await alice.stop()
  const now = Date.now()
  await seedHistory(alice.dir, {
    conv: reply.conversationId,
    author: bob.node.peerId,
    firstSeq: 1,
    count: HISTORY,
    fromMs: now - 365 * 24 * 3600_000,
    toMs: now - 3600_000,
    text: (i) => i === HIT_AT ? 'The **Q3 budget** review is on Thursday; 预算评审在周四' : `${FILLER[i % FILLER.length] ?? ''} #${i}`
  })
  await alice.restart([])
  await expect(conversations.getByRole('button', { name: /Bob/ })).toContainText('Budget numbers attached')

  await alice.page.keyboard.press('Control+k')
  const dialog = alice.page.getByTestId('search-dialog')
  await dialog.getByRole('combobox', { name: 'Search' }).fill('预算')
  const hits = dialog.getByTestId('search-hit')
  // The index is made again from the seeded store (as after an upgrade), newest first, with its
  // progress shown; the results follow it without typing again.
  await expect(hits).toHaveCount(2, { timeout: 120_000 })
  await expect(dialog.getByTestId('search-index')).toHaveCount(0)
  await expect(hits.first().locator('mark')).toHaveText(['预算'])
  await shoot(alice.page, 'search-results', 1280)
  await shoot(alice.page, 'search-results', 900)

  // Case and width do not matter; the sender filter keeps Bob's message only.
  await dialog.getByRole('combobox', { name: 'Search' }).fill('ＢＵＤＧ')
  await expect(hits).toHaveCount(2)
  await dialog.getByTestId('search-from').selectOption({ label: 'Bob' })
  await expect(hits).toHaveCount(1)
  await expect(hits.first()).toContainText('The Q3 budget review is on Thursday')
  await expect(hits.first().locator('mark')).toHaveText(['budget'])

  // Enter opens it in its conversation, scrolled to and shown, although 99,000 newer messages came after it.
  await dialog.getByRole('combobox', { name: 'Search' }).press('Enter')
  await expect(dialog).toHaveCount(0)
  const message = alice.page.getByTestId('message').filter({ hasText: 'The Q3 budget review is on Thursday' })
  await expect(message).toBeVisible()
  await expect(alice.page.getByTestId('message').filter({ hasText: `#${HIT_AT + 1}` })).toBeVisible()
  await expect(alice.page.getByTestId('message').filter({ hasText: 'Budget numbers attached' })).toHaveCount(0)
  await shoot(alice.page, 'search-opened-in-context', 1280)
  await alice.page.getByTestId('jump-latest').click()
  await expect(alice.page.getByTestId('message').filter({ hasText: 'Budget numbers attached' })).toBeVisible()
  await expect(alice.page.getByTestId('message').filter({ hasText: `#${HISTORY - 1}` })).toBeVisible()

  // The words are kept among the recent searches.
  await alice.page.keyboard.press('Control+k')
  await expect(dialog.getByRole('button', { name: 'ＢＵＤＧ' })).toBeVisible()
  await dialog.getByRole('combobox', { name: 'Search' }).fill('评')
  await expect(dialog.getByText('Type two or more characters to search messages.')).toBeVisible()

  // A note is found by the words in it, marked; Enter opens the note.
  const note = await alice.node.api.call('docs.create', { kind: 'note', title: 'Offsite plan' })
  const draft = new Y.Doc()
  const block = new Y.XmlElement('paragraph')
  block.insert(0, [new Y.XmlText('Bring the 预算 spreadsheet and the badges')])
  draft.getXmlFragment('note').push([block])
  await alice.node.api.call('docs.update', { docId: note.id, update: Buffer.from(Y.encodeStateAsUpdate(draft)).toString('base64') })
  // A doc is indexed once it has been quiet for a few seconds: the box shows what the core finds then.
  await expect.poll(async () => (await alice.node.api.call('search.query', { query: 'spreadsheet', kinds: ['docs'] })).docs.length).toBe(1)
  await dialog.getByRole('combobox', { name: 'Search' }).fill('spreadsheet badge')
  const docHit = dialog.getByTestId('search-doc')
  await expect(docHit).toContainText('Offsite plan')
  await expect(docHit.locator('mark')).toHaveText(['spreadsheet', 'badges'])
  await shoot(alice.page, 'search-docs', 900)
  await dialog.getByRole('combobox', { name: 'Search' }).press('Enter')
  await expect(alice.page.getByText('Bring the 预算 spreadsheet and the badges')).toBeVisible()
})
