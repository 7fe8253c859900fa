import { parseEnclaveLink } from '../api/links.js'
import type { Handlers } from '../api/server.js'
import type { Emit, NodeInfo } from '../api/contract.js'
import type { ChatService } from '../chat/chat-service.js'
import type { Drafts } from '../chat/drafts.js'
import type { DocsService } from '../docs/docs-service.js'
import { previewOf } from '../chat/file-message.js'
import { forwardFile } from '../files/file-forward.js'
import type { FileService } from '../files/file-service.js'
import type { NetHealth } from '../net/net-health.js'
import type { PeerBook } from '../net/peer-book.js'
import type { RelayList } from '../net/relay-list.js'
import type { Profiles } from '../org/profiles.js'
import type { WorkspaceService } from '../org/workspace-service.js'
import type { SearchEverything } from './search-everything.js'
import type { BackupService } from '../backup/backup-service.js'
import type { DeviceLinks } from '../org/device-link.js'
import type { CallService } from '../calls/call-service.js'

const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))
const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

export interface RouterServices {
  info: () => NodeInfo
  health: NetHealth
  peers: PeerBook
  relays: Pick<RelayList, 'add'>
  chat: ChatService
  profiles: Profiles
  workspaces: WorkspaceService
  docs: DocsService
  files: FileService
  drafts: Drafts
  search: SearchEverything
  backup: BackupService
  devices: DeviceLinks
  calls: CallService
  /** Events to every shell (`shell.openLink` announces the link it checked). */
  emit: Emit
}

/** The API's routing table: which service answers each method. Inputs arrive validated. */
export function createRouter({ info, health, peers, relays, chat, profiles, workspaces, docs, files, drafts, search, backup, devices, calls, emit }: RouterServices): Handlers {
  return {
    'node.info': () => Promise.resolve(info()),
    'net.health': () => Promise.resolve(health.status()),
    'net.addRelay': async ({ address }) => { await relays.add(address); return health.status() },
    'peers.list': () => Promise.resolve(peers.list()),
    'peers.dial': ({ address }) => peers.dial(address),
    'conversations.list': () => chat.conversations(),
    'conversations.open': ({ peerId }) => chat.open(peerId),
    'conversations.mute': (input) => chat.mute(input.conversationId, 'level' in input ? input.level : input.muted ? 'mentions' : 'all'),
    'chat.send': ({ text, replyTo, mentions, mentionAll, threadOf, echo, ...ref }) => chat.send(ref, text, {
      ...(replyTo === undefined ? {} : { replyTo }), ...(mentions === undefined ? {} : { mentions }), ...(mentionAll === undefined ? {} : { mentionAll }),
      ...(threadOf === undefined ? {} : { threadOf }), ...(echo === undefined ? {} : { echo })
    }),
    'chat.thread': ({ messageId }) => chat.thread(messageId),
    'chat.mentions': ({ limit }) => chat.mentions(limit ?? 50),
    'chat.typing': ({ conversationId }) => { chat.typing(conversationId); return Promise.resolve({}) },
    'chat.react': ({ messageId, emoji, on }) => chat.actions.react(messageId, emoji, on),
    'chat.edit': ({ messageId, text }) => chat.actions.edit(messageId, text),
    'chat.recall': ({ messageId }) => chat.actions.recall(messageId),
    'chat.pin': ({ messageId, on }) => chat.actions.pin(messageId, on),
    'chat.pins': ({ conversationId }) => chat.actions.pins(conversationId),
    'chat.save': ({ messageId, saved }) => chat.actions.save(messageId, saved),
    'chat.saved': ({ limit }) => chat.actions.saved(limit ?? 100),
    'chat.history': (input) => chat.history(input, { before: input.before, after: input.after, limit: input.limit }),
    'chat.retry': ({ messageId }) => chat.retry(messageId),
    'chat.messageInfo': ({ messageId }) => chat.messageInfo(messageId),
    'chat.markRead': ({ conversationId, receipt }) => chat.markRead(conversationId, receipt ?? true),
    'drafts.list': () => drafts.list(),
    'drafts.set': ({ conversationId, text }) => drafts.set(conversationId, text),
    'files.send': ({ path, caption, ...ref }) => files.share(ref, path, caption ?? ''),
    'files.forward': ({ messageId, caption, ...ref }) => forwardFile(files, messageId, ref, caption ?? ''),
    'files.startUpload': (input) => files.startUpload(input),
    'files.uploadChunk': ({ uploadId, index, data }) => files.uploadChunk(uploadId, index, fromBase64(data)),
    'files.finishUpload': ({ uploadId, caption, preview, ...ref }) => files.finishUpload(uploadId, ref, caption ?? '', preview === undefined ? undefined : previewOf(preview)),
    'files.cancelUpload': async ({ uploadId }) => { await files.cancelUpload(uploadId); return {} },
    'files.downloadLink': async ({ messageId }) => ({ path: `/download/${await files.downloadTicket(messageId)}` }),
    'files.get': ({ messageId }) => files.get(messageId),
    'files.readChunk': async ({ messageId, index }) => ({ data: toBase64(await files.readChunk(messageId, index)) }),
    'files.list': ({ conversationId }) => files.list(conversationId),
    'files.download': ({ messageId }) => files.download(messageId),
    'files.pause': ({ messageId }) => files.pause(messageId),
    'files.save': ({ messageId, path }) => files.save(messageId, path),
    'files.usage': () => files.usage(),
    'files.remove': ({ messageId }) => files.remove(messageId),
    'channels.create': (input) => chat.createChannel(input),
    'channels.add': ({ conversationId, members }) => chat.addMembers(conversationId, members),
    'channels.remove': ({ conversationId, peerId }) => chat.removeMember(conversationId, peerId),
    'channels.leave': ({ conversationId }) => chat.leave(conversationId),
    'channels.update': ({ conversationId, ...change }) => chat.updateChannel(conversationId, change),
    'channels.browse': ({ workspaceId }) => chat.browse(workspaceId),
    'channels.join': ({ conversationId }) => chat.join(conversationId),
    'profile.get': () => Promise.resolve(profiles.get()),
    'profile.set': (change) => profiles.set(change),
    'shell.openLink': ({ url }) => {
      const target = parseEnclaveLink(url)
      emit('shell.linkOpened', target)
      return Promise.resolve(target)
    },
    'shell.saveFile': async ({ messageId }) => {
      const { name } = await files.get(messageId)
      emit('shell.saveFileAsked', { messageId, name })
      return {}
    },
    'workspaces.list': () => Promise.resolve(workspaces.list()),
    'workspaces.create': async ({ name, invite = [] }) => {
      const w = await workspaces.create(name, { keep: invite })
      // The invite travels in the conversation the two already have; the outbox keeps it durably.
      // The workspace exists either way: a device whose invite could not be queued has no message
      // in its conversation, and is invited from Admin.
      await Promise.allSettled(invite.map(async (peerId) => {
        const { text } = await workspaces.invite(w.id, {})
        await chat.send({ peerId }, text)
      }))
      return w
    },
    'workspaces.invite': ({ workspaceId, ...opts }) => workspaces.invite(workspaceId, opts),
    'workspaces.inviteCsv': ({ workspaceId, csv, ...opts }) => workspaces.inviteCsv(workspaceId, csv, opts),
    'workspaces.join': ({ link }) => workspaces.join(link),
    'workspaces.members': ({ workspaceId }) => Promise.resolve(workspaces.members(workspaceId)),
    'workspaces.removeMember': ({ workspaceId, userId }) => workspaces.removeMember(workspaceId, userId),
    'workspaces.readInvite': ({ link }) => Promise.resolve(workspaces.readInvite(link)),
    'workspaces.leave': ({ workspaceId }) => workspaces.leave(workspaceId),
    'workspaces.setRole': ({ workspaceId, userId, role }) => workspaces.setRole(workspaceId, userId, role),
    'workspaces.approve': ({ workspaceId, userId }) => workspaces.approve(workspaceId, userId),
    'workspaces.invites': ({ workspaceId }) => Promise.resolve(workspaces.invites(workspaceId)),
    'workspaces.revokeInvite': ({ workspaceId, inviteId }) => workspaces.revokeInvite(workspaceId, inviteId),
    'workspaces.updateProfile': ({ workspaceId, userId, profile }) => workspaces.updateProfile(workspaceId, profile, userId),
    'workspaces.departments': ({ workspaceId }) => Promise.resolve(workspaces.departments(workspaceId)),
    'workspaces.saveDepartment': ({ workspaceId, ...dept }) => workspaces.saveDepartment(workspaceId, dept),
    'workspaces.deleteDepartment': ({ workspaceId, departmentId }) => workspaces.deleteDepartment(workspaceId, departmentId),
    'workspaces.assign': ({ workspaceId, userId, departments }) => workspaces.assign(workspaceId, userId, departments),
    'workspaces.setRelays': ({ workspaceId, relays }) => workspaces.setRelays(workspaceId, relays),
    'workspaces.setMemberRelay': ({ workspaceId, enabled }) => workspaces.setMemberRelay(workspaceId, enabled),
    'workspaces.setFilePolicy': ({ workspaceId, ...policy }) => workspaces.setFilePolicy(workspaceId, policy),
    'workspaces.setMessagePolicy': ({ workspaceId, recallMinutes }) => workspaces.setMessagePolicy(workspaceId, recallMinutes),
    'workspaces.setBackupPolicy': ({ workspaceId, backups }) => workspaces.setBackupPolicy(workspaceId, backups),
    'directory.search': ({ workspaceId, ...query }) => Promise.resolve(workspaces.search(workspaceId, query)),
    'search.query': (input) => search.query(input),
    'search.recent': () => search.recent(),
    'search.forgetRecent': () => search.forgetRecent(),
    'backup.status': () => Promise.resolve(backup.status()),
    'backup.create': ({ folder, passphrase }) => backup.create(folder, passphrase),
    'backup.verify': ({ file, passphrase }) => backup.verify(file, passphrase),
    'backup.restore': ({ file, passphrase }) => backup.restore(file, passphrase),
    'backup.setSchedule': ({ schedule }) => backup.setSchedule(schedule),
    'devices.linkCode': () => Promise.resolve(devices.code()),
    'devices.readLinkCode': ({ code }) => Promise.resolve(devices.preview(code)),
    'devices.link': ({ code }) => devices.link(code),
    'devices.remove': ({ device, workspaceId }) => workspaces.removeDevice(device, workspaceId),
    'devices.confirmLink': ({ requestId, accept }) => { devices.confirm(requestId, accept); return Promise.resolve({}) },
    'docs.list': ({ conversationId }) => docs.list(conversationId ?? null),
    'docs.create': ({ kind, title, conversationId }) => docs.create(kind, title, conversationId ?? null),
    'docs.rename': ({ docId, title }) => docs.rename(docId, title),
    'docs.open': ({ docId }) => docs.open(docId),
    'docs.update': ({ docId, update }) => docs.update(docId, fromBase64(update)),
    'docs.awareness': async ({ docId, update }) => { await docs.awareness(docId, fromBase64(update)); return {} },
    'calls.list': () => Promise.resolve(calls.list()),
    'calls.start': ({ conversationId, video }) => calls.place(conversationId, video),
    'calls.join': ({ callId }) => calls.join(callId),
    'calls.decline': ({ callId }) => Promise.resolve(calls.decline(callId)),
    'calls.leave': ({ callId }) => Promise.resolve(calls.leave(callId)),
    'calls.media': ({ callId, muted, camera }) => Promise.resolve(calls.media(callId, muted, camera)),
    'calls.signal': async ({ callId, to, signal }) => { await calls.signal(callId, to, signal); return {} },
    'calls.key': ({ callId }) => calls.key(callId)
  }
}
