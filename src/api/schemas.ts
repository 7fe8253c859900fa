import { z } from 'zod'
import { FILE_EXTENSION, RELAY_ADDRESS } from '../identity/membership-op.js'
import { idSchema, parseCallId, parseConversationId, parseDepartmentId, parseDocId, parseInviteId, parsePeerId, parseUserId, parseWorkspaceId } from '../ids.js'
import {
  MAX_AVATAR_LENGTH, MAX_AWARENESS_BYTES, MAX_CHANNEL_MEMBERS, MAX_CHANNEL_NAME, MAX_CHANNEL_TOPIC, MAX_DIRECTORY_RESULTS, MAX_DISPLAY_NAME,
  MAX_DOC_TITLE, MAX_DOC_UPDATE_BYTES, MAX_HISTORY_PAGE, MAX_INVITE_CSV_CHARS, MAX_INVITE_LABEL, MAX_INVITE_MS, MAX_INVITE_USES, MAX_MEMBER_DEPARTMENTS, MAX_PROFILE_EMAIL, MAX_PROFILE_PHONE,
  MAX_PROFILE_TITLE, MAX_RELAY_ADDRESS, MAX_MENTIONS, MAX_TEXT_LENGTH, MAX_BLOCKED_EXTENSIONS, MAX_FILE_BYTES, MAX_RECALL_MINUTES, MAX_FILE_NAME, MAX_MEDIA_MS, MAX_MEDIA_SIDE, MAX_MIME_LENGTH, MAX_THUMB_LENGTH, MAX_INVITED_AT_CREATE, MAX_SDP_CHARS, MAX_WORKSPACE_NAME, MAX_WORKSPACE_RELAYS, MIN_INVITE_MS
} from '../limits.js'
import type { Method, RequestInput } from './contract.js'

const id = idSchema
const empty = z.object({}).strict()
const role = z.enum(['owner', 'admin', 'member', 'guest'])
const peerId = id(parsePeerId)
const conversationId = id(parseConversationId)
const workspaceId = id(parseWorkspaceId)
const userId = id(parseUserId)
const departmentId = id(parseDepartmentId)
const inviteLifetime = z.number().int().min(MIN_INVITE_MS).max(MAX_INVITE_MS)
const docId = id(parseDocId)
const callId = id(parseCallId)
const base64 = (maxBytes: number) => z.string().max(Math.ceil(maxBytes / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64')
/** A time of day, in minutes after midnight. */
const minuteOfDay = z.number().int().min(0).max(24 * 60 - 1)
const messageId = z.string().min(1).max(400).transform((value, ctx) => {
  const parts = value.split('/')
  if (parts.length === 3) return value as RequestInput<'chat.retry'>['messageId']
  ctx.addIssue({ code: 'custom', message: 'not a message id' })
  return z.NEVER
})
const uploadId = z.string().regex(/^[0-9a-f]{32}$/, 'an upload id')
/** An upload chunk: one file chunk of plaintext (1 MiB). */
const UPLOAD_CHUNK_BYTES = 1024 * 1024
/** A path on this device's disk, as the core will open it (absolute: the core's working folder is not the caller's). */
/** An image's or video's look from a shell; the thumbnail's bytes are checked where it is read (file-message.ts). */
const filePreview = z.object({
  width: z.number().int().min(1).max(MAX_MEDIA_SIDE),
  height: z.number().int().min(1).max(MAX_MEDIA_SIDE),
  thumb: z.string().max(MAX_THUMB_LENGTH),
  durationMs: z.number().int().min(0).max(MAX_MEDIA_MS).optional()
}).strict()
/** Length is checked where backups are made (a clear `bad-request`); here only a bound. */
const backupPassphrase = z.string().min(1).max(1024)
const filePath = z.string().min(1).max(4096).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'an absolute path')
/** A device link code, or text containing one (the code itself is checked where it is read). */
const linkCode = z.string().min(1).max(8192)
/** What `chat.send` takes besides where: the text and what comes with it. */
const outgoing = {
  text: z.string().max(MAX_TEXT_LENGTH),
  replyTo: messageId.optional(),
  mentions: z.array(peerId).max(MAX_MENTIONS).optional(),
  mentionAll: z.boolean().optional(),
  threadOf: messageId.optional(),
  echo: z.boolean().optional()
}
const historyPage = { before: z.string().max(300).optional(), after: z.string().max(300).optional(), limit: z.number().int().min(1).max(MAX_HISTORY_PAGE).optional() }

/**
 * Parameter schemas for every API method: the API's edge validation, strict on unknown keys.
 * What each produces must be exactly the contract's input for its method (`noDrift` below).
 */
export const requestSchemas = {
  'node.info': empty,
  'net.health': empty,
  'net.addRelay': z.object({ address: z.string().trim().pipe(RELAY_ADDRESS) }).strict(),
  'peers.list': empty,
  'peers.dial': z.object({ address: z.string().min(1).max(1000) }).strict(),
  'conversations.list': empty,
  'conversations.open': z.object({ peerId }).strict(),
  'conversations.mute': z.union([z.object({ conversationId, muted: z.boolean() }).strict(), z.object({ conversationId, level: z.enum(['all', 'mentions', 'nothing']) }).strict()]),
  'chat.send': z.union([
    z.object({ conversationId, ...outgoing }).strict(),
    z.object({ peerId, ...outgoing }).strict()
  ]),
  'chat.react': z.object({ messageId, emoji: z.string().min(1).max(32), on: z.boolean() }).strict(),
  'chat.edit': z.object({ messageId, text: z.string().max(MAX_TEXT_LENGTH) }).strict(),
  'chat.recall': z.object({ messageId }).strict(),
  'chat.pin': z.object({ messageId, on: z.boolean() }).strict(),
  'chat.pins': z.object({ conversationId }).strict(),
  'chat.save': z.object({ messageId, saved: z.boolean() }).strict(),
  'chat.saved': z.object({ limit: z.number().int().min(1).max(500).optional() }).strict(),
  'chat.typing': z.object({ conversationId }).strict(),
  'chat.thread': z.object({ messageId }).strict(),
  'chat.mentions': z.object({ limit: z.number().int().min(1).max(200).optional() }).strict(),
  'chat.history': z.union([
    z.object({ conversationId, ...historyPage }).strict(),
    z.object({ peerId, ...historyPage }).strict()
  ]),
  'chat.retry': z.object({ messageId }).strict(),
  'chat.messageInfo': z.object({ messageId }).strict(),
  'chat.markRead': z.object({ conversationId, receipt: z.boolean().optional() }).strict(),
  'drafts.list': empty,
  'drafts.set': z.object({ conversationId, text: z.string().max(MAX_TEXT_LENGTH) }).strict(),
  'channels.create': z.object({
    workspaceId,
    name: z.string().trim().min(1).max(MAX_CHANNEL_NAME),
    topic: z.string().max(MAX_CHANNEL_TOPIC).optional(),
    visibility: z.enum(['private', 'open']).optional(),
    members: z.array(peerId).max(MAX_CHANNEL_MEMBERS).optional()
  }).strict(),
  'channels.add': z.object({ conversationId, members: z.array(peerId).min(1).max(MAX_CHANNEL_MEMBERS) }).strict(),
  'channels.remove': z.object({ conversationId, peerId }).strict(),
  'channels.leave': z.object({ conversationId }).strict(),
  'channels.update': z.object({ conversationId, name: z.string().trim().min(1).max(MAX_CHANNEL_NAME).optional(), topic: z.string().max(MAX_CHANNEL_TOPIC).optional(), archived: z.boolean().optional() }).strict(),
  'channels.browse': z.object({ workspaceId }).strict(),
  'channels.join': z.object({ conversationId }).strict(),
  'profile.get': empty,
  // Longer than a name may be: the core normalises whitespace before it checks the length.
  'profile.set': z.object({
    displayName: z.string().max(MAX_DISPLAY_NAME * 4).optional(),
    presence: z.enum(['online', 'away', 'dnd']).optional(),
    quietHours: z.object({ from: minuteOfDay, to: minuteOfDay }).strict().refine((q) => q.from !== q.to, 'quiet hours start and end at different times').nullable().optional()
  }).strict(),
  'shell.openLink': z.object({ url: z.string().min(1).max(2000) }).strict(),
  'shell.saveFile': z.object({ messageId }).strict(),
  'workspaces.list': empty,
  'workspaces.create': z.object({ name: z.string().min(1).max(MAX_WORKSPACE_NAME), invite: z.array(peerId).max(MAX_INVITED_AT_CREATE).optional() }).strict(),
  'workspaces.invite': z.object({
    workspaceId,
    role: role.optional(),
    expiresInMs: inviteLifetime.optional(),
    approval: z.boolean().optional(),
    uses: z.number().int().min(1).max(MAX_INVITE_USES).optional(),
    departments: z.array(departmentId).max(MAX_MEMBER_DEPARTMENTS).optional(),
    label: z.string().max(MAX_INVITE_LABEL).optional()
  }).strict(),
  'workspaces.inviteCsv': z.object({ workspaceId, csv: z.string().min(1).max(MAX_INVITE_CSV_CHARS), expiresInMs: inviteLifetime.optional() }).strict(),
  'workspaces.join': z.object({ link: z.string().min(1).max(8000) }).strict(),
  'workspaces.readInvite': z.object({ link: z.string().min(1).max(8000) }).strict(),
  'workspaces.members': z.object({ workspaceId }).strict(),
  'workspaces.removeMember': z.object({ workspaceId, userId }).strict(),
  'workspaces.leave': z.object({ workspaceId }).strict(),
  'workspaces.setRole': z.object({ workspaceId, userId, role }).strict(),
  'workspaces.approve': z.object({ workspaceId, userId }).strict(),
  'workspaces.invites': z.object({ workspaceId }).strict(),
  'workspaces.revokeInvite': z.object({ workspaceId, inviteId: id(parseInviteId) }).strict(),
  'workspaces.updateProfile': z.object({
    workspaceId,
    userId: userId.optional(),
    profile: z.object({
      name: z.string().min(1).max(MAX_DISPLAY_NAME),
      title: z.string().max(MAX_PROFILE_TITLE).optional(),
      phone: z.string().max(MAX_PROFILE_PHONE).optional(),
      email: z.string().max(MAX_PROFILE_EMAIL).optional(),
      avatar: z.string().max(MAX_AVATAR_LENGTH).optional()
    }).strict()
  }).strict(),
  'workspaces.departments': z.object({ workspaceId }).strict(),
  'workspaces.saveDepartment': z.object({ workspaceId, departmentId: departmentId.optional(), parentId: departmentId.nullable(), name: z.string().min(1).max(MAX_DISPLAY_NAME), order: z.number().int().optional() }).strict(),
  'workspaces.deleteDepartment': z.object({ workspaceId, departmentId }).strict(),
  'workspaces.assign': z.object({ workspaceId, userId, departments: z.array(departmentId).max(MAX_MEMBER_DEPARTMENTS) }).strict(),
  'workspaces.setRelays': z.object({ workspaceId, relays: z.array(z.string().max(MAX_RELAY_ADDRESS)).max(MAX_WORKSPACE_RELAYS) }).strict(),
  'workspaces.setMemberRelay': z.object({ workspaceId, enabled: z.boolean() }).strict(),
  'workspaces.setMessagePolicy': z.object({ workspaceId, recallMinutes: z.number().int().min(1).max(MAX_RECALL_MINUTES).nullable() }).strict(),
  'workspaces.setBackupPolicy': z.object({ workspaceId, backups: z.enum(['optional', 'required', 'forbidden']) }).strict(),
  'workspaces.setFilePolicy': z.object({ workspaceId, maxBytes: z.number().int().min(0).max(MAX_FILE_BYTES).nullable(), blocked: z.array(z.string().trim().toLowerCase().transform((e) => e.replace(/^\./, '')).pipe(FILE_EXTENSION)).max(MAX_BLOCKED_EXTENSIONS), guests: z.boolean() }).strict(),
  'search.query': z.object({
    query: z.string().max(200),
    conversationId: conversationId.optional(),
    from: z.array(peerId).max(20).optional(),
    after: z.number().int().min(0).optional(),
    before: z.number().int().min(0).optional(),
    has: z.array(z.enum(['file', 'link'])).max(2).optional(),
    mentionsMe: z.boolean().optional(),
    limit: z.number().int().min(1).max(200).optional(),
    cursor: z.string().regex(/^\d{1,16}$/, 'a cursor from a previous page').optional(),
    kinds: z.array(z.enum(['messages', 'files', 'docs', 'channels', 'people'])).max(5).optional(),
    remember: z.boolean().optional()
  }).strict(),
  'search.recent': empty,
  'search.forgetRecent': empty,
  'backup.status': empty,
  'backup.create': z.object({ folder: filePath, passphrase: backupPassphrase }).strict(),
  'backup.verify': z.object({ file: filePath, passphrase: backupPassphrase }).strict(),
  'backup.restore': z.object({ file: filePath, passphrase: backupPassphrase }).strict(),
  'backup.setSchedule': z.object({
    schedule: z.object({ folder: filePath, everyHours: z.number().int().min(1).max(24 * 30), keep: z.number().int().min(1).max(100), passphrase: backupPassphrase }).strict().nullable()
  }).strict(),
  'devices.linkCode': empty,
  'devices.readLinkCode': z.object({ code: linkCode }).strict(),
  'devices.link': z.object({ code: linkCode }).strict(),
  'devices.remove': z.object({ device: peerId, workspaceId: workspaceId.optional() }).strict(),
  'devices.confirmLink': z.object({ requestId: z.string().regex(/^[0-9a-f]{16}$/, 'a link request id'), accept: z.boolean() }).strict(),
  'directory.search': z.object({ workspaceId, query: z.string().max(100), departmentId: departmentId.optional(), limit: z.number().int().min(1).max(MAX_DIRECTORY_RESULTS).optional() }).strict(),
  'files.send': z.union([
    z.object({ conversationId, path: filePath, caption: z.string().max(MAX_TEXT_LENGTH).optional() }).strict(),
    z.object({ peerId, path: filePath, caption: z.string().max(MAX_TEXT_LENGTH).optional() }).strict()
  ]),
  'files.forward': z.union([
    z.object({ messageId, conversationId, caption: z.string().max(MAX_TEXT_LENGTH).optional() }).strict(),
    z.object({ messageId, peerId, caption: z.string().max(MAX_TEXT_LENGTH).optional() }).strict()
  ]),
  'files.startUpload': z.object({ name: z.string().trim().min(1).max(MAX_FILE_NAME).refine((n) => !/[/\\\0]/.test(n), 'a file name, without folders'), size: z.number().int().min(0).max(MAX_FILE_BYTES), mime: z.string().max(MAX_MIME_LENGTH).optional() }).strict(),
  'files.uploadChunk': z.object({ uploadId, index: z.number().int().min(0).max(2 ** 31), data: base64(UPLOAD_CHUNK_BYTES) }).strict(),
  'files.finishUpload': z.union([
    z.object({ uploadId, conversationId, caption: z.string().max(MAX_TEXT_LENGTH).optional(), preview: filePreview.optional() }).strict(),
    z.object({ uploadId, peerId, caption: z.string().max(MAX_TEXT_LENGTH).optional(), preview: filePreview.optional() }).strict()
  ]),
  'files.cancelUpload': z.object({ uploadId }).strict(),
  'files.downloadLink': z.object({ messageId }).strict(),
  'files.get': z.object({ messageId }).strict(),
  'files.readChunk': z.object({ messageId, index: z.number().int().min(0).max(2 ** 31) }).strict(),
  'files.list': z.object({ conversationId: conversationId.optional() }).strict(),
  'files.download': z.object({ messageId }).strict(),
  'files.pause': z.object({ messageId }).strict(),
  'files.save': z.object({ messageId, path: filePath }).strict(),
  'files.usage': z.object({}).strict(),
  'files.remove': z.object({ messageId }).strict(),
  'docs.list': z.object({ conversationId: conversationId.optional() }).strict(),
  'docs.create': z.object({ kind: z.enum(['board', 'note']), title: z.string().min(1).max(MAX_DOC_TITLE), conversationId: conversationId.optional() }).strict(),
  'docs.rename': z.object({ docId, title: z.string().min(1).max(MAX_DOC_TITLE) }).strict(),
  'docs.open': z.object({ docId }).strict(),
  'docs.update': z.object({ docId, update: base64(MAX_DOC_UPDATE_BYTES) }).strict(),
  'docs.awareness': z.object({ docId, update: base64(MAX_AWARENESS_BYTES) }).strict(),
  'calls.list': empty,
  'calls.start': z.object({ conversationId, video: z.boolean() }).strict(),
  'calls.join': z.object({ callId }).strict(),
  'calls.decline': z.object({ callId }).strict(),
  'calls.leave': z.object({ callId }).strict(),
  'calls.media': z.object({ callId, muted: z.boolean(), camera: z.boolean() }).strict(),
  'calls.signal': z.object({
    callId,
    to: peerId,
    signal: z.discriminatedUnion('kind', [
      z.object({ kind: z.enum(['offer', 'answer']), sdp: z.string().min(1).max(MAX_SDP_CHARS) }).strict(),
      z.object({ kind: z.literal('ice'), candidate: z.string().max(1024), mid: z.string().max(64).nullable(), index: z.number().int().min(0).max(64).nullable() }).strict()
    ])
  }).strict(),
  'calls.key': z.object({ callId }).strict()
} satisfies { [M in Method]: z.ZodType<RequestInput<M>> }

/** True when A and B are assignable both ways, optional fields included (`Required` makes a missing optional field count). */
type Same<A, B> = [A, Required<A>] extends [B, Required<B>] ? ([B, Required<B>] extends [A, Required<A>] ? true : false) : false
/** Methods whose schema and contract disagree (a field one has and the other lacks, a narrower enum). */
type Drift = { [M in Method as Same<z.output<(typeof requestSchemas)[M]>, RequestInput<M>> extends true ? never : M]: true }
type Assert<T extends true> = T
/** Does not compile while any method drifts; the error names the method (`{ "channels.create": true }` is not `true`). */
export type NoDrift = Assert<keyof Drift extends never ? true : Drift>
