import { z } from 'zod'
import { MAX_MLS_BYTES } from '../crypto/mls-group.js'
import { idSchema, parseConversationId, parseDeviceText, parseDocId, parseWorkspaceId } from '../ids.js'
import { MAX_MENTIONS, MAX_CHANNEL_MEMBERS, MAX_CHANNEL_NAME, MAX_CHANNEL_TOPIC, MAX_FILE_BYTES, MAX_FILE_NAME, MAX_MEDIA_MS, MAX_MEDIA_SIDE, MAX_MIME_LENGTH, MAX_TEXT_LENGTH, MAX_THUMB_BYTES } from '../limits.js'
import { sniffImageType } from '../image-data.js'
import { isEmoji } from './annotations.js'

/** Largest doc edit carried as a conversation message (durable, through mailboxes); larger ones travel by doc sync. */
export const MAX_DOC_EDIT_BYTES = 256 * 1024

const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
const peer = idSchema(parseDeviceText)
const conv = idSchema(parseConversationId)
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength > 0 && v.byteLength <= MAX_MLS_BYTES, 'MLS bytes')

/**
 * What travels for one conversation event. Only `mls` is secret: conversation, author and
 * sequence stay visible so relays, mailboxes and catch-up can route, dedupe and acknowledge
 * without any key. `sig` is the author's device signature over all of it (envelope-signature.ts),
 * so anyone can tell the author made this envelope at this number before storing, counting,
 * acknowledging or passing it on: commits and welcomes included, which MLS lets only some
 * members open. Inside, the same three are repeated in the MLS plaintext and must match.
 *
 * - `app`: an MLS application message (text, channel settings, a request to the committer, a doc edit).
 * - `commit`: an MLS commit from epoch `epoch`.
 * - `welcome`: an MLS welcome into epoch `epoch`, for the devices in `to`.
 */
export const envelopeV3 = z.object({
  v: z.literal(3),
  conv,
  author: peer,
  seq,
  kind: z.enum(['app', 'commit', 'welcome']),
  epoch: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  mls: bytes,
  to: z.array(peer).max(MAX_CHANNEL_MEMBERS).optional(),
  sig: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 64, 'an Ed25519 signature')
}).strict()

export type Envelope = z.infer<typeof envelopeV3>
/** An envelope before its author signs it. */
export type UnsignedEnvelope = Omit<Envelope, 'sig'>
export type EnvelopeKind = Envelope['kind']

/** Channel settings, carried whole in `meta` payloads; the newest (by clock) wins. */
export const channelInfo = z.object({
  name: z.string().min(1).max(MAX_CHANNEL_NAME),
  topic: z.string().max(MAX_CHANNEL_TOPIC),
  visibility: z.enum(['private', 'open', 'workspace']),
  archived: z.boolean(),
  ws: idSchema(parseWorkspaceId),
  creator: peer
}).strict()
export type ChannelInfo = z.infer<typeof channelInfo>

const common = { conv, author: peer, seq, hlc: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }
/** A message of the same conversation, by its author and sequence number. */
const target = z.object({ author: peer, seq }).strict()

const bytesOf = (n: number, what: string): z.ZodType<Uint8Array> => z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === n, what)

/**
 * A file shared in a conversation (files/, docs/protocol.md "Files"): what a member needs to
 * fetch it from anyone who holds it and to open it. `key` exists only here, inside MLS.
 */
/**
 * What an image or video looks like, made by the sender's device: its size (to lay it out before
 * it is fetched), a small thumbnail that must sniff as PNG, JPEG or WebP, and a video's length.
 */
export const filePreview = z.object({
  width: z.number().int().min(1).max(MAX_MEDIA_SIDE),
  height: z.number().int().min(1).max(MAX_MEDIA_SIDE),
  thumb: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength <= MAX_THUMB_BYTES && sniffImageType(v) !== null, 'a PNG, JPEG or WebP thumbnail'),
  durationMs: z.number().int().min(0).max(MAX_MEDIA_MS).optional()
}).strict()
export type FilePreview = z.infer<typeof filePreview>

export const fileRef = z.object({
  name: z.string().min(1).max(MAX_FILE_NAME),
  size: z.number().int().min(0).max(MAX_FILE_BYTES),
  mime: z.string().max(MAX_MIME_LENGTH),
  root: bytesOf(32, 'a SHA-256 root'),
  key: bytesOf(32, 'a file key'),
  chunkBytes: z.number().int().min(1024).max(16 * 1024 * 1024),
  preview: filePreview.optional()
}).strict()
export type FileRef = z.infer<typeof fileRef>

/** The plaintext inside an `app` envelope's MLS message. */
export const appPayload = z.discriminatedUnion('type', [
  /**
   * `reply`: the message quoted above this one; `mentions`: devices named with @ (their people's),
   * `all`: @all; `thread`: the message whose thread this is a reply in, `echo`: also shown in the
   * conversation.
   */
  z.object({
    type: z.literal('text'), ...common, text: z.string().max(MAX_TEXT_LENGTH), reply: target.optional(), mentions: z.array(peer).max(MAX_MENTIONS).optional(),
    all: z.literal(true).optional(), thread: target.optional(), echo: z.literal(true).optional()
  }).strict(),
  /** A file, with a caption (`text`, possibly empty). */
  z.object({ type: z.literal('file'), ...common, text: z.string().max(MAX_TEXT_LENGTH), file: fileRef }).strict(),
  z.object({ type: z.literal('meta'), ...common, channel: channelInfo }).strict(),
  /** Asks the committer to change membership: add devices, remove one, or remove the author. */
  z.object({ type: z.literal('request'), ...common, op: z.enum(['add', 'remove', 'leave']), devices: z.array(peer).max(MAX_CHANNEL_MEMBERS) }).strict(),
  /** A Yjs update to a doc shared in this conversation: never shown as a message. */
  /** A reaction on (or off) a message: any member. */
  z.object({ type: z.literal('react'), ...common, target, emoji: z.string().max(32).refine(isEmoji, 'one emoji'), on: z.boolean() }).strict(),
  /** New text (a file's caption) for a message: its author only. */
  z.object({ type: z.literal('edit'), ...common, target, text: z.string().max(MAX_TEXT_LENGTH) }).strict(),
  /** Recalls a message for everyone: its author, or in a channel its creator or a workspace admin. */
  z.object({ type: z.literal('recall'), ...common, target }).strict(),
  z.object({ type: z.literal('pin'), ...common, target, on: z.boolean() }).strict(),
  /** The author has read this conversation up to the message at clock `upTo` (read-receipts.ts). */
  z.object({ type: z.literal('read'), ...common, upTo: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict(),
  z.object({ type: z.literal('doc'), ...common, doc: idSchema(parseDocId), update: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength > 0 && v.byteLength <= MAX_DOC_EDIT_BYTES, 'a Yjs update') }).strict()
])
export type AppPayload = z.infer<typeof appPayload>
