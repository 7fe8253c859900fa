/**
 * A long history written into a stopped node's store below the API: what months of a busy
 * conversation leave on a device, made in seconds rather than the ten minutes sending 100,000
 * messages through two nodes takes. The messages go in as the chat service stores received
 * ones (sealed, indexed by hour and id), and the search index is dropped, so the node's next
 * start rebuilds it from the messages as an upgrade does.
 */
import { join } from 'node:path'
import { hlcAt } from '../../src/chat/hybrid-clock.js'
import { createMessageLog } from '../../src/chat/message-log.js'
import { createLogger } from '../../src/logger.js'
import { loadDataKey } from '../../src/store/store-key.js'
import { openStore } from '../../src/store/store.js'
import type { ConversationId, PeerIdString } from '../../src/api/contract.js'

export interface SeedHistory {
  conv: ConversationId
  /** The sender of every seeded message: a member who stays offline from now on (its own count of messages is not moved). */
  author: PeerIdString
  /** The sender's first unused message number. */
  firstSeq: number
  count: number
  /** Wall-clock span the messages are spread over, oldest first. */
  fromMs: number
  toMs: number
  text: (i: number) => string
}

const BATCH = 2000

export async function seedHistory(dataDir: string, seed: SeedHistory): Promise<void> {
  const dataKey = await loadDataKey(dataDir, { kind: 'key-file', path: join(dataDir, 'store.key') })
  const store = await openStore({ path: join(dataDir, 'store'), log: createLogger('seed', { level: 'warn' }), dataKey })
  try {
    const messages = await createMessageLog(store)
    if (messages.conversation(seed.conv) === undefined) throw new Error(`no conversation ${seed.conv} in ${dataDir}`)
    const step = (seed.toMs - seed.fromMs) / Math.max(1, seed.count - 1)
    for (let start = 0; start < seed.count; start += BATCH) {
      const batch = store.batch()
      for (let i = start; i < Math.min(seed.count, start + BATCH); i++) {
        messages.append(batch, { conv: seed.conv, author: seed.author, seq: seed.firstSeq + i, hlc: hlcAt(Math.floor(seed.fromMs + i * step)), text: seed.text(i), state: 'received', mine: false }, { countUnread: false })
      }
      await batch.write()
    }
    // A missing index is rebuilt from the messages on the next start (search-index.ts `load`).
    await store.collection('searchState').clear()
  } finally {
    await store.close()
  }
}
