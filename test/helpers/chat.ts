import { waitFor } from './wait.js'
import type { NodeProcess } from './node-process.js'
import type { ConversationRef, MessageView } from '../../src/api/contract.js'

/**
 * Sends `text` from `sender` and waits until the sender sees it delivered (which means the
 * recipients authenticated and stored it): the positive witness hostile tests wait on.
 */
export async function sendDelivered(sender: NodeProcess, ref: ConversationRef, text: string, timeoutMs = 30_000): Promise<MessageView> {
  const sent = await sender.api.call('chat.send', { ...ref, text })
  return waitFor(`"${text}" to be delivered`, async () => {
    const history = await sender.api.call('chat.history', { ...ref, limit: 20 })
    const view = history.find((m) => m.id === sent.id)
    return view?.state === 'delivered' ? view : undefined
  }, { timeoutMs })
}

/** Waits until `reader` holds a message from `author` with this text in the conversation, and returns it. */
export async function readBy(reader: NodeProcess, ref: ConversationRef, author: string, text: string, timeoutMs = 30_000): Promise<MessageView> {
  return waitFor(`"${text}" to reach the reader`, async () => {
    const history = await reader.api.call('chat.history', { ...ref, limit: 100 })
    return history.find((m) => m.author === author && m.text === text)
  }, { timeoutMs })
}

/** Sends `text` from `sender` and waits until `reader` holds it (for conversations with a member offline). */
export async function sendRead(sender: NodeProcess, ref: ConversationRef, text: string, reader: NodeProcess, readerRef: ConversationRef = ref): Promise<MessageView> {
  const sent = await sender.api.call('chat.send', { ...ref, text })
  await readBy(reader, readerRef, sent.author, text)
  return sent
}

/** The texts of a conversation's history on `node`, oldest first (a DM by the peer, or any conversation by id). */
export async function historyTexts(node: NodeProcess, ref: ConversationRef): Promise<string[]> {
  return (await node.api.call('chat.history', { ...ref, limit: 1000 })).map((m) => m.text)
}
