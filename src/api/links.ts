import { EnclaveError } from '../errors.js'
import { isConversationId, messageId, parseMessageId, parsePeerId } from '../ids.js'
import type { LinkTarget, MessageId } from './contract.js'

/**
 * The link that opens one message in its conversation (the id is URI-encoded: it holds
 * slashes). The app writes the same (renderer/ui/message-link.ts; both tests pin one example).
 */
export function messageLink(id: MessageId): string {
  return `enclave://message/${encodeURIComponent(id)}`
}

/**
 * Reads an `enclave://` link: `enclave://conversation/<id>`, `enclave://peer/<peerId>` or
 * `enclave://message/<encoded message id>`.
 * Links come from outside (the OS, other apps, web pages), so anything else is refused.
 */
export function parseEnclaveLink(url: string): LinkTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new EnclaveError('bad-request', 'not a link')
  }
  if (parsed.protocol !== 'enclave:') throw new EnclaveError('bad-request', 'only enclave:// links are handled')
  const [kind, id, ...rest] = `${parsed.host}${parsed.pathname}`.split('/').filter((p) => p.length > 0).map(decodeURIComponent)
  if (rest.length > 0 || id === undefined) throw new EnclaveError('bad-request', 'unknown enclave:// link')
  if (kind === 'conversation' && isConversationId(id)) return { kind: 'conversation', conversationId: id }
  if (kind === 'peer') return { kind: 'peer', peerId: parsePeerId(id) }
  if (kind === 'message') {
    const { conv, author, seq } = parseMessageId(id)
    return { kind: 'message', messageId: messageId(conv, author, seq) }
  }
  throw new EnclaveError('bad-request', 'unknown enclave:// link')
}
