import * as Y from 'yjs'
import { expect, test } from './fixtures.js'
import { shoot } from './ui-steps.js'

test('Ctrl+K finds messages by Chinese and English words, filters by sender, and opens a hit deep in history in context', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  const toAlice = { peerId: alice.node.peerId }
  await bob.node.api.call('chat.send', { ...toAlice, text: 'The **Q3 budget** review is on Thursday; 预算评审在周四' })
  await alice.node.api.call('chat.send', { peerId: bob.node.peerId, text: 'Budget numbers attached for the 预算评审 later' })
  // Deep in history: the hit is hundreds of messages back, past what the conversation loads at first.
  for (let start = 0; start < 600; start += 200) {
    await Promise.all(Array.from({ length: 200 }, (_, i) => bob.node.api.call('chat.send', { ...toAlice, text: `filler ${start + i}` })))
  }
  const conversations = alice.page.getByRole('region', { name: 'Conversations' })
  await expect(conversations.getByRole('button', { name: /Bob/ })).toContainText('filler 599', { timeout: 30_000 })

  await alice.page.keyboard.press('Control+k')
  const dialog = alice.page.getByTestId('search-dialog')
  await dialog.getByRole('combobox', { name: 'Search' }).fill('预算')
  const hits = dialog.getByTestId('search-hit')
  await expect(hits).toHaveCount(2)
  await expect(hits.first().locator('mark')).toHaveText(['预算'])
  await shoot(alice.page, 'search-results', 1280)
  await shoot(alice.page, 'search-results', 900)

  // Case and width do not matter; the sender filter keeps Bob's message only.
  await dialog.getByRole('combobox', { name: 'Search' }).fill('ＢＵＤＧ')
  await expect(hits).toHaveCount(2)
  await dialog.getByTestId('search-from').selectOption({ label: 'Bob' })
  await expect(hits).toHaveCount(1)
  await expect(hits.first()).toContainText('The Q3 budget review is on Thursday')
  await expect(hits.first().locator('mark')).toHaveText(['budg'])

  // Enter opens it in its conversation, scrolled to and shown, although 600 newer messages came after it.
  await dialog.getByRole('combobox', { name: 'Search' }).press('Enter')
  await expect(dialog).toHaveCount(0)
  const message = alice.page.getByTestId('message').filter({ hasText: 'The Q3 budget review is on Thursday' })
  await expect(message).toBeVisible()
  await expect(alice.page.getByTestId('message').filter({ hasText: 'filler 599' })).toHaveCount(0)
  await alice.page.getByTestId('jump-latest').click()
  await expect(alice.page.getByTestId('message').filter({ hasText: 'filler 599' })).toBeVisible()

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
  await expect(docHit.locator('mark')).toHaveText(['spreadsheet', 'badge'])
  await shoot(alice.page, 'search-docs', 900)
  await dialog.getByRole('combobox', { name: 'Search' }).press('Enter')
  await expect(alice.page.getByText('Bring the 预算 spreadsheet and the badges')).toBeVisible()
})
