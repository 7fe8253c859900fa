import { createHash } from 'node:crypto'
import { parseConversationId } from '../ids.js'
import type { ConversationId } from '../api/contract.js'

/**
 * A workspace's own channel, which every active member is in: one id every device derives from
 * the workspace id, so it is never created twice. Only the workspace's admins may create its
 * group (conversation-rules refuses settings claiming this id from anyone else).
 */
export function workspaceChannelId(ws: string): ConversationId {
  const digest = createHash('sha256').update(`enclave/workspace-channel/v1\n${ws}`).digest('hex')
  return parseConversationId(`ch:${digest.slice(0, 32)}`)
}
