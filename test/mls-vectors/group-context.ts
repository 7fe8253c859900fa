// Builds the GroupContext several vector families describe field by field.
import type { CiphersuiteImpl, GroupContext } from 'ts-mls'

export function groupContext(
  cs: CiphersuiteImpl,
  fields: { groupId: Uint8Array; epoch: bigint; treeHash: Uint8Array; confirmedTranscriptHash: Uint8Array }
): GroupContext {
  // The vectors always use MLS 1.0 and empty GroupContext extensions.
  return { version: 'mls10', cipherSuite: cs.name, extensions: [], ...fields }
}
