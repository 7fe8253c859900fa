import type { MessageId } from '../../src/api/contract'

/**
 * The link that opens one message in its conversation, as the core reads it (src/api/links.ts:
 * `enclave://message/<URI-encoded id>`; both tests pin the same example).
 */
export function messageLink(id: MessageId): string {
  return `enclave://message/${encodeURIComponent(id)}`
}
