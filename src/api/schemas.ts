import { z } from 'zod'
import { MAX_TEXT_LENGTH } from '../chat/envelope.js'
import { MAX_HISTORY_PAGE } from '../chat/message-log.js'
import { MAX_CHANNEL_MEMBERS, MAX_CHANNEL_NAME, MAX_CHANNEL_TOPIC } from '../chat/channel-limits.js'
import { MAX_DISPLAY_NAME } from '../org/profiles.js'
import type { Method } from './contract.js'

const empty = z.object({}).strict()
const role = z.enum(['owner', 'admin', 'member', 'guest'])
const id = z.string().min(1).max(200)
const MAX_DOC_UPDATE = 32 * 1024 * 1024
const base64 = (maxBytes: number) => z.string().max(Math.ceil(maxBytes / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64')

/** Parameter schemas for every API method: the API's edge validation, strict on unknown keys. */
export const requestSchemas: { [M in Method]: z.ZodType } = {
  'node.info': empty,
  'relay.status': empty,
  'peers.list': empty,
  'peers.dial': z.object({ address: z.string().min(1).max(1000) }).strict(),
  'conversations.list': empty,
  'conversations.open': z.object({ peerId: id }).strict(),
  'chat.send': z.union([
    z.object({ conversationId: id, text: z.string().max(MAX_TEXT_LENGTH) }).strict(),
    z.object({ peerId: id, text: z.string().max(MAX_TEXT_LENGTH) }).strict()
  ]),
  'chat.history': z.union([
    z.object({ conversationId: id, before: z.string().max(300).optional(), limit: z.number().int().min(1).max(MAX_HISTORY_PAGE).optional() }).strict(),
    z.object({ peerId: id, before: z.string().max(300).optional(), limit: z.number().int().min(1).max(MAX_HISTORY_PAGE).optional() }).strict()
  ]),
  'chat.retry': z.object({ messageId: z.string().min(1).max(400) }).strict(),
  'chat.markRead': z.object({ conversationId: id }).strict(),
  'channels.create': z.object({
    workspaceId: id,
    name: z.string().trim().min(1).max(MAX_CHANNEL_NAME),
    topic: z.string().max(MAX_CHANNEL_TOPIC).optional(),
    visibility: z.enum(['private', 'open']).optional(),
    members: z.array(id).max(MAX_CHANNEL_MEMBERS).optional()
  }).strict(),
  'channels.add': z.object({ conversationId: id, members: z.array(id).min(1).max(MAX_CHANNEL_MEMBERS) }).strict(),
  'channels.remove': z.object({ conversationId: id, peerId: id }).strict(),
  'channels.leave': z.object({ conversationId: id }).strict(),
  'channels.update': z.object({ conversationId: id, name: z.string().trim().min(1).max(MAX_CHANNEL_NAME).optional(), topic: z.string().max(MAX_CHANNEL_TOPIC).optional(), archived: z.boolean().optional() }).strict(),
  'channels.browse': z.object({ workspaceId: id }).strict(),
  'channels.join': z.object({ conversationId: id }).strict(),
  'profile.get': empty,
  'profile.set': z.object({ displayName: z.string().max(MAX_DISPLAY_NAME * 4).optional(), presence: z.enum(['online', 'away', 'dnd']).optional() }).strict(),
  'shell.openLink': z.object({ url: z.string().min(1).max(2000) }).strict(),
  'workspaces.list': empty,
  'workspaces.create': z.object({ name: z.string().min(1).max(64) }).strict(),
  'workspaces.invite': z.object({ workspaceId: id, role: role.optional(), expiresInMs: z.number().int().min(1_000).max(90 * 24 * 3600_000).optional(), approval: z.boolean().optional() }).strict(),
  'workspaces.join': z.object({ link: z.string().min(1).max(8000) }).strict(),
  'workspaces.members': z.object({ workspaceId: id }).strict(),
  'workspaces.removeMember': z.object({ workspaceId: id, userId: id }).strict(),
  'workspaces.setRole': z.object({ workspaceId: id, userId: id, role }).strict(),
  'workspaces.approve': z.object({ workspaceId: id, userId: id }).strict(),
  'workspaces.invites': z.object({ workspaceId: id }).strict(),
  'workspaces.revokeInvite': z.object({ workspaceId: id, inviteId: id }).strict(),
  'workspaces.updateProfile': z.object({
    workspaceId: id,
    userId: id.optional(),
    profile: z.object({ name: z.string().min(1).max(64), title: z.string().max(80).optional(), phone: z.string().max(40).optional(), email: z.string().max(120).optional(), avatar: z.string().max(65_536).optional() }).strict()
  }).strict(),
  'workspaces.departments': z.object({ workspaceId: id }).strict(),
  'workspaces.saveDepartment': z.object({ workspaceId: id, departmentId: id.optional(), parentId: id.nullable(), name: z.string().min(1).max(64), order: z.number().int().optional() }).strict(),
  'workspaces.deleteDepartment': z.object({ workspaceId: id, departmentId: id }).strict(),
  'workspaces.assign': z.object({ workspaceId: id, userId: id, departments: z.array(id).max(32) }).strict(),
  'workspaces.setRelays': z.object({ workspaceId: id, relays: z.array(z.string().max(256)).max(8) }).strict(),
  'directory.search': z.object({ workspaceId: id, query: z.string().max(100), departmentId: id.optional(), limit: z.number().int().min(1).max(500).optional() }).strict(),
  'docs.list': z.object({ conversationId: id.optional() }).strict(),
  'docs.create': z.object({ kind: z.enum(['board', 'note']), title: z.string().min(1).max(120), conversationId: id.optional() }).strict(),
  'docs.rename': z.object({ docId: id, title: z.string().min(1).max(120) }).strict(),
  'docs.open': z.object({ docId: id }).strict(),
  // An update as large as a whole board's state (pasting thousands of shapes), in base64.
  'docs.update': z.object({ docId: id, update: base64(MAX_DOC_UPDATE) }).strict(),
  'docs.awareness': z.object({ docId: id, update: base64(64 * 1024) }).strict()
}
