import type { MailboxQuota, MailboxQuotaInit } from './mailbox-quota.js'
import type { AnnotationLog } from './annotation-log.js'
import type { ConversationView, Emit, MessageView, PeerIdString } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { SearchIndex } from '../search/search-index.js'
import type { CipherLog } from './cipher-log.js'
import type { GroupKeys } from './group-keys.js'
import type { GroupStates } from './group-states.js'
import type { HybridClock } from './hybrid-clock.js'
import type { ConversationRecord, MessageLog } from './message-log.js'
import type { ConversationRules } from './conversation-rules.js'
import type { Envelope, UnsignedEnvelope } from './envelope.js'
import type { MembershipPolicy } from './membership-policy.js'
import type { RestoreResync } from './restore-resync.js'
import type { PrivateKey, Stream } from '@libp2p/interface'
import type { ClientConfig } from 'ts-mls/clientConfig.js'

export interface ChatComponents {
  store: Store
  log: Logger
  clock: HybridClock
  emit: Emit
  self: PeerIdString
  deviceKey: PrivateKey
  policy: MembershipPolicy
  bus: CoreBus
  /** Where chat serves its protocols (to members only) and opens streams to peers. */
  protocols: Pick<ProtocolHost, 'handleMembers' | 'dial'>
  /** Devices connected right now. */
  connectedPeers(): PeerIdString[]
  /** Devices known to hold mail for offline members. */
  mailboxes(): PeerIdString[]
  /** This node is a mailbox: it keeps deposits for their recipients, holding no key. */
  mailbox?: boolean
  /** A mailbox's quotas and retention (src/chat/mailbox-quota.ts). */
  mailboxLimits?: MailboxQuotaInit
  /** This node is a relay: it joins no conversation. */
  service?: boolean
  /**
   * Where stored messages are indexed for search, in the batch that stores them (null on a relay
   * or mailbox). Its owner opens, fills (from `searchSource`) and closes it.
   */
  index: SearchIndex | null
  /** This device was restored from a backup made then (ms): see restore-resync.ts. */
  restoredFrom?: number | null
}

/**
 * What the parts of the chat service share: the device's components, its stores, the MLS group
 * states and the rules about who may be where. Made once by `createChatService`.
 */
export interface ChatContext {
  components: ChatComponents
  /** Set on a mailbox: who deposited what, for whom, since when. */
  mailboxQuota: MailboxQuota | null
  store: Store
  log: Logger
  clock: HybridClock
  emit: Emit
  self: PeerIdString
  policy: MembershipPolicy
  messages: MessageLog
  cipher: CipherLog
  keys: GroupKeys
  groups: GroupStates
  rules: ConversationRules
  /** Signs an envelope of this device's with its device key. */
  sign: (env: UnsignedEnvelope) => Envelope
  /** Opens the group protocol (key packages, joins, catch-up) to a peer. */
  openGroupStream: (peer: PeerIdString, signal: AbortSignal) => Promise<Stream>
  /** MLS client settings for a group, with our credential check. */
  configFor: (groupId: string) => ClientConfig
  /** Tells the shells a conversation changed; `last` spares reading its newest message back. */
  /**
   * Views with their reactions, edits, recall, pin and quoted message applied (message-actions.ts):
   * every view the shells get goes through it, or an acknowledgement would show the unedited text.
   */
  decorate: (views: MessageView[]) => Promise<MessageView[]>
  /** Reactions, edits, recalls, pins and thread counts per message (annotation-log.ts). */
  annotations: AnnotationLog
  announce: (record: ConversationRecord, last?: MessageView) => Promise<ConversationView>
  /** The search index of this device's messages (null on a relay or mailbox). */
  index: SearchIndex | null
  /** After a restore: which conversations this device may not write in yet. */
  resync: RestoreResync
}
