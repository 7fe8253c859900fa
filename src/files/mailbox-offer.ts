import { EnclaveError, errorMessage } from '../errors.js'
import { FILES_PROTOCOL, askHold } from './file-protocol.js'
import { hex } from './file-seal.js'
import type { FileRecord } from './file-record.js'
import type { ConversationId, MessageId, PeerIdString } from '../api/contract.js'
import type { ChatService } from '../chat/chat-service.js'
import type { Logger } from '../logger.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Collection } from '../store/store.js'

/*
 * The sharing side of mailbox files (mailbox-files.ts is the mailbox's): with a member of the
 * conversation away, the file is offered to each mailbox of its workspace, and a mailbox that
 * agreed may fetch it from here like a member, also after a restart (`FileRecord.heldBy`).
 */
export interface MailboxOfferComponents {
  chat: Pick<ChatService, 'groupAccess'>
  protocols: Pick<ProtocolHost, 'dial'>
  records: Collection<FileRecord>
  log: Logger
  self: PeerIdString
  isConnected: (peer: PeerIdString) => boolean
  mailboxesFor: (conv: ConversationId) => PeerIdString[]
}

export interface MailboxOffer {
  /** Offers a file just shared to the mailboxes, if a member is away. */
  offer(messageId: MessageId, conv: ConversationId, root: Uint8Array, size: number): Promise<void>
  /** Is `peer` a mailbox this device asked to hold the file with this root? */
  asked(peer: PeerIdString, root: Uint8Array): boolean
  /** A record read at start: the mailboxes it names may fetch again. */
  load(record: FileRecord): void
}

export function createMailboxOffer({ chat, protocols, records, log, self, isConnected, mailboxesFor }: MailboxOfferComponents): MailboxOffer {
  /** Mailboxes asked to hold a file shared from here, by root. */
  const heldBy = new Map<string, Set<PeerIdString>>()
  const boxesOf = (key: string): Set<PeerIdString> => {
    const boxes = heldBy.get(key) ?? new Set<PeerIdString>()
    heldBy.set(key, boxes)
    return boxes
  }

  return {
    offer: async (messageId, conv, root, size) => {
      const members = (chat.groupAccess(conv)?.members ?? []).filter((m) => m !== self)
      if (members.every(isConnected)) return
      const boxes = boxesOf(hex(root))
      for (const box of mailboxesFor(conv)) {
        if (box === self || members.includes(box)) continue
        // Allowed before it is asked: a mailbox that agrees starts fetching before its answer arrives.
        const before = boxes.has(box)
        boxes.add(box)
        try {
          await askHold(await protocols.dial(box, FILES_PROTOCOL, AbortSignal.timeout(15_000)), conv, root, size, members)
          const record = await records.get(messageId)
          if (record !== undefined && record.heldBy?.includes(box) !== true) await records.put(messageId, { ...record, heldBy: [...record.heldBy ?? [], box] })
          log.info('a mailbox holds the file for members away', { file: messageId, peer: box })
        } catch (err) {
          if (!before) boxes.delete(box)
          log.info('a mailbox did not take the file', { file: messageId, peer: box, code: err instanceof EnclaveError ? err.code : 'internal', error: errorMessage(err) })
        }
      }
    },
    asked: (peer, root) => heldBy.get(hex(root))?.has(peer) === true,
    load: (record) => { for (const box of record.heldBy ?? []) boxesOf(record.root).add(box) }
  }
}
