import { EnclaveError } from '../errors.js'
import { isConversationId, parsePeerId } from '../ids.js'
import type { LinkTarget } from './contract.js'

/**
 * Reads an `enclave://` link: `enclave://conversation/<id>` or `enclave://peer/<peerId>`.
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
  throw new EnclaveError('bad-request', 'unknown enclave:// link')
}
