/**
 * The API's views of shared files: part of the contract (which re-exports them), kept in a file
 * of their own to keep contract.ts readable.
 */
import type { ConversationId, MessageId, PeerIdString } from './api-ids.js'

export interface MessageFile {
  name: string
  /** Bytes. */
  size: number
  /** Media type as the sender's device judged it (`image/png`); empty when unknown. */
  mime: string
  /** An image's or video's look, made by the sender: shown before (and without) fetching the file. */
  preview?: FilePreviewView
}

/** A picture's or video's size in pixels, a thumbnail (a PNG, JPEG or WebP data: URL of a few KiB) and a video's length. */
export interface FilePreviewView {
  width: number
  height: number
  thumb: string
  durationMs?: number
}

export interface FilesUsage {
  /** Bytes of sealed chunks and manifests on this device. */
  bytes: number
  quotaBytes: number
  /** Free bytes on the disk that holds them (null where the system does not say). */
  diskFreeBytes: number | null
}

/** A file message's transfer on this device (`files.*`); `messageId` is the message that shared it. */
export interface FileView {
  messageId: MessageId
  conversationId: ConversationId
  author: PeerIdString
  /** This device shared it. */
  mine: boolean
  /** When it was shared, ms since the epoch. */
  sentAt: number
  name: string
  size: number
  mime: string
  /** A picture's or video's thumbnail, as its message carried it. */
  preview?: FilePreviewView
  /**
   * `complete`: every chunk is on this device (the sender's own, or fetched). `fetching`: wanted,
   * being fetched or waiting for a member who holds it (`error` says why it waits). `remote`:
   * not asked for yet (above the automatic download size). `paused` by the user.
   */
  state: 'remote' | 'fetching' | 'paused' | 'complete'
  /** Bytes of the file on this device so far. */
  haveBytes: number
  /** Fetch speed over this transfer, 0 when none runs. */
  bytesPerSecond: number
  etaSeconds: number | null
  /** Why the last try stopped short, in words; null when nothing went wrong. */
  error: string | null
  /** The workspace's file rules forbid this file here: it is not fetched, served or saved. */
  blocked: boolean
}
