import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseConversationId } from '../ids.js'
import { createMemoryLogger } from '../logger.js'
import { openStore } from '../store/store.js'
import { createDrafts } from './drafts.js'
import type { DraftView } from '../api/contract.js'

const conv = (n: number) => parseConversationId(`ch:${n.toString(16).padStart(32, '0')}`)

test('drafts are kept per conversation across a reopen of the store, newest first; empty text removes one; past the cap the oldest goes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-drafts-'))
  try {
    let clock = 1000
    const events: DraftView[] = []
    const open = async () => {
      const store = await openStore({ path: join(dir, 'store'), log: createMemoryLogger() })
      const drafts = createDrafts({ drafts: store.collection('drafts'), emit: (name, payload) => { if (name === 'drafts.changed') events.push(payload as DraftView) }, now: () => clock++ }, { maxDrafts: 3 })
      return { store, drafts }
    }
    let { store, drafts } = await open()
    await drafts.set(conv(1), 'first')
    await drafts.set(conv(2), '第二')
    await drafts.set(conv(1), 'first, edited')
    assert.deepEqual(events.map((e) => e.text), ['first', '第二', 'first, edited'], 'every window hears of each change')
    await store.close();
    ({ store, drafts } = await open())
    assert.deepEqual((await drafts.list()).map((d) => [d.conversationId, d.text]), [[conv(1), 'first, edited'], [conv(2), '第二']])

    await drafts.set(conv(2), '')
    assert.deepEqual((await drafts.list()).map((d) => d.conversationId), [conv(1)])

    for (const n of [3, 4, 5]) await drafts.set(conv(n), `draft ${n}`)
    assert.deepEqual((await drafts.list()).map((d) => d.conversationId), [conv(5), conv(4), conv(3)], 'the oldest went past three')
    await store.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
