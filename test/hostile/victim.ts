/** What a victim node shows: the envelopes it dropped (its coded log lines) and what it holds. */
import type { NodeProcess } from '../helpers/node-process.js'
import type { ConversationRef } from '../../src/api/contract.js'

/** Sequence numbers of the envelopes in `author`'s name that the victim dropped with `code`. */
export function dropped(victim: NodeProcess, author: string, code: string): number[] {
  return victim.logs.filter((l) => l.msg === 'dropped an envelope' && l.author === author && l.code === code).map((l) => Number(l.seq))
}

/** The highest seq of `author`'s messages the victim holds in a conversation (0 if none). */
export async function lastSeq(victim: NodeProcess, ref: ConversationRef, author: string): Promise<number> {
  const history = await victim.api.call('chat.history', { ...ref, limit: 100 })
  return history.filter((m) => m.author === author).reduce((max, m) => Math.max(max, m.seq), 0)
}
