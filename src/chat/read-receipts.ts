import { errorMessage } from '../errors.js'
import { orderOf, type ConversationRecord } from './message-log.js'
import type { AppPayload } from './envelope.js'
import type { ConversationId, MessageView, PeerIdString } from '../api/contract.js'
import type { ChatContext } from './chat-context.js'
import type { Delivery } from './delivery.js'

export type ReadPayload = Extract<AppPayload, { type: 'read' }>

/** Reads are told at most this often per conversation: one receipt for all read meanwhile. */
export const READ_BATCH_MS = 2_000
/** Digits of the hybrid clock at the start of an order key (hybrid-clock.ts). */
const HLC_DIGITS = 17

/** The clock value an order key starts with (what reads are compared by). */
export function hlcOfOrder(order: string): number {
  return Number(order.slice(0, HLC_DIGITS))
}

/**
 * Read receipts: when this device reads a conversation it tells the members, batched, how far
 * (`read`: the clock of the newest message read); members keep the highest mark per device and
 * show this device's messages at or below it as read by it. Marks only grow, so they converge.
 */
export interface ReadReceipts {
  /** This device read the conversation up to its newest message: tell the members (unless `tell` is false: the reader keeps reads private). */
  read(record: ConversationRecord, tell: boolean): void
  /** A member's mark, applied to the record (saved with the batch); what to tell the shells once written. */
  receive(record: ConversationRecord, p: ReadPayload): (() => Promise<void>) | undefined
  /** Views of this device's messages with who has read them. */
  readBy(record: ConversationRecord | undefined, view: MessageView): PeerIdString[]
  stop(): void
}

export function createReadReceipts(ctx: ChatContext, delivery: Pick<Delivery, 'sealAndQueue' | 'kickAll'>): ReadReceipts {
  const { store, self, groups, log, emit } = ctx
  const timers = new Map<ConversationId, NodeJS.Timeout>()

  const send = async (record: ConversationRecord): Promise<void> => {
    const upTo = record.lastKey === null ? 0 : hlcOfOrder(orderOf(record.lastKey))
    if (upTo <= (record.readSent ?? 0) || record.status !== 'active') return
    await groups.serial(record.id, async () => {
      const batch = store.batch()
      const sent = await delivery.sealAndQueue(batch, record, (seq, hlc) => ({ type: 'read', conv: record.id, author: self, seq, hlc, upTo: Math.min(upTo, hlc) }))
      record.readSent = upTo
      ctx.messages.saveConversation(batch, record)
      await batch.write()
      delivery.kickAll(sent.recipients)
    })
  }

  return {
    read: (record, tell) => {
      if (!tell || timers.has(record.id)) return
      timers.set(record.id, setTimeout(() => {
        timers.delete(record.id)
        send(record).catch((err: unknown) => { log.debug('could not send a read receipt', { conv: record.id, error: errorMessage(err) }) })
      }, READ_BATCH_MS).unref())
    },
    receive: (record, p) => {
      const reads = record.reads ?? {}
      // Nobody reads past the moment they say so.
      const upTo = Math.min(p.upTo, p.hlc)
      if (upTo <= (reads[p.author] ?? 0)) return undefined
      reads[p.author] = upTo
      record.reads = reads
      return () => {
        emit('chat.readChanged', { conversationId: record.id, by: p.author, upTo: String(upTo).padStart(HLC_DIGITS, '0') })
        return Promise.resolve()
      }
    },
    readBy: (record, view) => {
      if (!view.mine || record?.reads === undefined) return []
      const at = hlcOfOrder(view.order)
      return record.members.filter((d) => d !== self && (record.reads?.[d] ?? 0) >= at)
    },
    stop: () => {
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
    }
  }
}
