/**
 * The one API contract between the core and every shell (CLI, loopback WebSocket, Electron
 * MessagePort). Types and constants only: the renderer imports this file with `import type`.
 *
 * Requests are imperative (`chat.send`), events past tense (`chat.messageAdded`). No method or
 * event name is spelled anywhere else.
 */

export type { ConversationId, DepartmentId, InviteId, MessageId, PeerIdString, Role, UserId, WorkspaceId } from './api-ids.js'
import type { ConversationId, DepartmentId, InviteId, MessageId, PeerIdString, Role, UserId, WorkspaceId } from './api-ids.js'

export type { DocId, DocKind, DocSyncView, DocView } from './doc-views.js'
export type { CsvInviteResult, CsvProblem, CsvProblemCode, CsvRowError, InvitePreview, InviteSummary, InviteView } from './invite-views.js'
import type { CsvInviteResult, InvitePreview, InviteSummary, InviteView } from './invite-views.js'
import type { DocId, DocKind, DocView } from './doc-views.js'
export type { CallId, CallKeyView, CallParticipantView, CallSignal, CallState, CallView } from './call-views.js'
import type { CallId, CallKeyView, CallSignal, CallView } from './call-views.js'
export type { BackupRunView, BackupScheduleView, BackupStatusView, BackupSummaryView } from './backup-views.js'
import type { BackupScheduleView, BackupStatusView, BackupSummaryView } from './backup-views.js'
export type { LinkCodeView, LinkPreview, LinkRequestView } from './device-views.js'
import type { LinkCodeView, LinkPreview, LinkRequestView } from './device-views.js'
export type { DeliveryState, MessageDelivery, MessageInfo, MessageView, ReactionView, RecipientView, ReplyView, ThreadSummary } from './message-views.js'
import type { MessageInfo, MessageView, ReactionView } from './message-views.js'
export type { ChannelSummary, ChannelVisibility, ConversationStatus, ConversationView, NotifyLevel, OnTheWay } from './conversation-views.js'
import type { ChannelSummary, ChannelVisibility, ConversationView, NotifyLevel } from './conversation-views.js'


/** What a person shows others: chosen (online, away, do-not-disturb) or offline when unreachable. */
export type Presence = 'online' | 'away' | 'dnd' | 'offline'
/** The part of presence a person chooses. */
export type ChosenPresence = Exclude<Presence, 'offline'>

export interface PeerView {
  peerId: PeerIdString
  /** The name the peer chose for itself, or null until it has told us. */
  displayName: string | null
  connected: boolean
  /** `offline` whenever not connected; otherwise what the peer chose. */
  presence: Presence
  /** Addresses this node knows for the peer (multiaddr strings). */
  addresses: string[]
  /** Epoch ms of the last time a connection was open, or null if never. */
  lastSeen: number | null
  /**
   * How this device reaches the peer now: `direct` (LAN or any route), `relayed` (through a relay),
   * `upgraded` (direct, after starting through a relay), or `offline`.
   */
  path: PeerPath
  /** The device carrying a `relayed` connection (the company relay, or a colleague's device); null otherwise. */
  via: PeerIdString | null
}

export type PeerPath = 'direct' | 'relayed' | 'upgraded' | 'offline'

export interface ProfileView {
  peerId: PeerIdString
  /** Null until the user picks a name (the first-run screen). */
  displayName: string | null
  presence: ChosenPresence
  /** Do-not-disturb hours on this device: no notifications from `from` to `to` (minutes after local midnight; may wrap past it). */
  quietHours: QuietHours | null
}

export interface QuietHours { from: number; to: number }

export interface NodeInfo {
  peerId: PeerIdString
  /** Full multiaddrs (with `/p2p/<peerId>`) other nodes can dial. */
  addresses: string[]
  /** Wire/API protocol versions this core speaks. */
  protocols: string[]
  version: string
}

export interface SearchResults {
  messages: SearchHit[]
  /** Messages with a file whose caption or name matched. */
  files: SearchHit[]
  /** The cursor for more messages and files; null when there are no more. */
  next: string | null
  docs: DocSearchHit[]
  channels: ConversationView[]
  /** Colleagues in any of this device's workspaces. */
  people: MemberView[]
  index: SearchIndexView
  /** The words are too short to look up messages by (one character): more is needed. */
  tooShort: boolean
}

/** A Yjs update or awareness update, base64 (the API is JSON). */
export type Base64 = string

/** Names a conversation directly, or the direct conversation with a peer. */
export type ConversationRef = { conversationId: ConversationId } | { peerId: PeerIdString }

/**
 * How this device's connections stand: its addresses, the relays it uses and serves as,
 * connection counts and recent failures. Pushed as `net.healthChanged` whenever it changes.
 */
export interface NetHealthView {
  /** Full multiaddrs others can dial now (relayed ones appear with each reservation). */
  addresses: string[]
  /** This device is a relay (`enclave relay`). */
  serving: boolean
  /** Devices holding a reservation here: a relay's people, or colleagues this device relays for (member relaying). */
  reservations: Array<{ peerId: PeerIdString; expiresAt: number }>
  /** Circuits relayed here: open now, and opened since the relay started (0 when not serving). */
  circuits: number
  circuitsTotal: number
  /** Bytes relayed since the relay started (ciphertext; 0 when not serving). */
  bytesRelayed: number
  /** Open connections, and how many of them are relayed through some relay. */
  connections: number
  relayedConnections: number
  /**
   * The relays this device was given, where from (`configured`: `--relay`; `added`: in Settings,
   * `net.addRelay`; `workspace`: listed by a workspace or an invite), and whether it holds a
   * reservation on each.
   */
  relays: Array<{ address: string; source: 'configured' | 'workspace' | 'added'; reserved: boolean }>
  /** Recent failed connection attempts, newest first (at most 20), with libp2p's reason. */
  failures: ConnectionFailureView[]
}

/** Unsent text of a conversation, kept by the core for every window of this device. */
export interface DraftView {
  conversationId: ConversationId
  /** Empty once the draft was sent or cleared. */
  text: string
  updatedAt: number
}

export interface ConnectionFailureView {
  at: number
  peerId: PeerIdString
  /** `dial`: asked for; `redial`: reconnecting to a known peer; `upgrade`: a direct path to a relayed peer. */
  attempt: 'dial' | 'redial' | 'upgrade'
  reason: string
}

export interface Requests {
  'node.info': (input: Record<string, never>) => NodeInfo
  /** Connection health now; `net.healthChanged` follows every change. */
  'net.health': (input: Record<string, never>) => NetHealthView
  /**
   * Keeps a relay (a full multiaddr ending in `/p2p/<id>`, not itself relayed) for this device
   * from now on, across restarts, and dials it; resolves with the health, the relay listed as
   * `added` (reserved once reached). At most 8 added relays.
   */
  'net.addRelay': (input: { address: string }) => NetHealthView
  'peers.list': (input: Record<string, never>) => PeerView[]
  /** Dial a multiaddr that ends in `/p2p/<peerId>`; resolves once connected. */
  'peers.dial': (input: { address: string }) => PeerView
  'conversations.list': (input: Record<string, never>) => ConversationView[]
  /** The direct conversation with a peer, created (empty) if there is none yet. */
  'conversations.open': (input: { peerId: PeerIdString }) => ConversationView
  /** Mutes a conversation on this device (only mentions notify and count), or unmutes it. */
  /** Sets what notifies here: `muted` (true: mentions only) or a `level`. */
  'conversations.mute': (input: { conversationId: ConversationId } & ({ muted: boolean } | { level: NotifyLevel })) => ConversationView
  /** `replyTo`: a message of the same conversation, quoted above this one. */
  /** `threadOf`: a reply in that message's thread (`echo`: also shown in the conversation). */
  'chat.send': (input: ConversationRef & { text: string; replyTo?: MessageId; mentions?: PeerIdString[]; mentionAll?: boolean; threadOf?: MessageId; echo?: boolean }) => MessageView
  /** A message and every reply in its thread, oldest first. */
  'chat.thread': (input: { messageId: MessageId }) => { root: MessageView; replies: MessageView[] }
  /** This device's person is typing: members connected now see it for a few seconds (sent at most every 3 s). */
  'chat.typing': (input: { conversationId: ConversationId }) => Record<string, never>
  /** Messages that mention this device, in every conversation, newest first (at most 50 per conversation). */
  'chat.mentions': (input: { limit?: number }) => MessageView[]
  /** Puts a reaction (one emoji) on or takes it off; at most 20 emoji per member per message. */
  'chat.react': (input: { messageId: MessageId; emoji: string; on: boolean }) => MessageView
  /** Replaces the text (a file's caption) of this device's message, for every member. */
  'chat.edit': (input: { messageId: MessageId; text: string }) => MessageView
  /** Recalls a message for everyone: this device's own, or any in a channel this device manages. */
  'chat.recall': (input: { messageId: MessageId }) => MessageView
  'chat.pin': (input: { messageId: MessageId; on: boolean }) => MessageView
  /** A conversation's pinned messages, most recently pinned first. */
  'chat.pins': (input: { conversationId: ConversationId }) => MessageView[]
  /** Saves a message for later on this device, or takes it off the list (personal: nobody is told). */
  'chat.save': (input: { messageId: MessageId; saved: boolean }) => MessageView
  /** Messages saved for later, every conversation, most recently saved first. */
  'chat.saved': (input: { limit?: number }) => MessageView[]
  /**
   * Messages in display order, oldest first; `before` pages backwards by `order`, `after` forwards
   * (the `limit` messages right after it: a message opened in context, then scrolling down).
   */
  'chat.history': (input: ConversationRef & { before?: string; after?: string; limit?: number }) => MessageView[]
  /** Queue a `failed` message again. */
  'chat.retry': (input: { messageId: MessageId }) => MessageView
  /** One message with, for this device's own, each recipient device's delivery state. */
  'chat.messageInfo': (input: { messageId: MessageId }) => MessageInfo
  /** Marks the conversation read here; unless `receipt` is false, members are told (batched) that this device read it. */
  'chat.markRead': (input: { conversationId: ConversationId; receipt?: boolean }) => ConversationView
  /** Every conversation's unsent text, newest first. */
  'drafts.list': (input: Record<string, never>) => DraftView[]
  /** Keeps a conversation's unsent text (sealed in the store); empty text removes it. */
  'drafts.set': (input: { conversationId: ConversationId; text: string }) => DraftView
  /** A new MLS channel in a workspace with this device and `members` (devices). */
  'channels.create': (input: { workspaceId: WorkspaceId; name: string; topic?: string; visibility?: Exclude<ChannelVisibility, 'workspace'>; members?: PeerIdString[] }) => ConversationView
  /** Adds devices (workspace members); the committer carries it out. */
  'channels.add': (input: { conversationId: ConversationId; members: PeerIdString[] }) => ConversationView
  /** Removes a device from a channel (channel creator or workspace admins). */
  'channels.remove': (input: { conversationId: ConversationId; peerId: PeerIdString }) => ConversationView
  'channels.leave': (input: { conversationId: ConversationId }) => ConversationView
  /** Rename, set the topic (any member) or archive (creator or admins). */
  'channels.update': (input: { conversationId: ConversationId; name?: string; topic?: string; archived?: boolean }) => ConversationView
  /** Open channels of a workspace that connected colleagues know of. */
  'channels.browse': (input: { workspaceId: WorkspaceId }) => ChannelSummary[]
  /** Asks to join an open channel; resolves once the request is queued for its committer. */
  'channels.join': (input: { conversationId: ConversationId }) => ConversationView
  'profile.get': (input: Record<string, never>) => ProfileView
  /** Sets this device's display name (1–64 characters) and/or presence, and tells connected peers. */
  'profile.set': (input: { displayName?: string; presence?: ChosenPresence; quietHours?: QuietHours | null }) => ProfileView
  /**
   * An `enclave://` link the OS handed to a shell (deep link, notification click). The core
   * checks it and announces it as `shell.linkOpened`, so every window can react to it.
   */
  'shell.openLink': (input: { url: string }) => LinkTarget
  /**
   * Asks the desktop shell to save a file: it shows the system's save dialog and writes the file
   * with `files.save` (the core announces `shell.saveFileAsked`; the page never sees a path).
   */
  'shell.saveFile': (input: { messageId: MessageId }) => Record<string, never>
  'workspaces.list': (input: Record<string, never>) => WorkspaceView[]
  /**
   * Makes this device the owner of a new workspace. Devices outside it can no longer reach this
   * one; each device in `invite` (at most 64: colleagues it talks to now) gets a single-use member
   * invite in the direct conversation with it, and stays connected until it joins (15 min at
   * most) so the invite arrives.
   */
  'workspaces.create': (input: { name: string; invite?: PeerIdString[] }) => WorkspaceView
  /**
   * Admins: an invite link for `uses` people (default 1), expiring after `expiresInMs` (default
   * 48 h); whoever joins with it gets its role and `departments`. `label` (who it is for) stays
   * on this device.
   */
  'workspaces.invite': (input: { workspaceId: WorkspaceId; role?: Role; expiresInMs?: number; approval?: boolean; uses?: number; departments?: DepartmentId[]; label?: string }) => InviteView
  /**
   * Admins: invites from a CSV (name, email, department, role; a header row is optional): one
   * personal link per good row, each bad row reported with its line and why; nothing is made
   * when any row is bad.
   */
  'workspaces.inviteCsv': (input: { workspaceId: WorkspaceId; csv: string; expiresInMs?: number }) => CsvInviteResult
  /** Joins by an invite link (or text containing one); resolves once the inviting device accepted. */
  'workspaces.join': (input: { link: string }) => WorkspaceView
  /** Reads an invite link (or the whole invite text) without using it. */
  'workspaces.readInvite': (input: { link: string }) => InvitePreview
  'workspaces.members': (input: { workspaceId: WorkspaceId }) => MemberView[]
  'workspaces.removeMember': (input: { workspaceId: WorkspaceId; userId: UserId }) => MemberView[]
  /** This device's user leaves the workspace (not the owner: hand it over first); it stays here read-only. */
  'workspaces.leave': (input: { workspaceId: WorkspaceId }) => WorkspaceView
  'workspaces.setRole': (input: { workspaceId: WorkspaceId; userId: UserId; role: Role }) => MemberView[]
  'workspaces.approve': (input: { workspaceId: WorkspaceId; userId: UserId }) => MemberView[]
  /** Invites of the workspace (admins): open, used, revoked. */
  'workspaces.invites': (input: { workspaceId: WorkspaceId }) => InviteSummary[]
  'workspaces.revokeInvite': (input: { workspaceId: WorkspaceId; inviteId: InviteId }) => InviteSummary[]
  /** A member's directory profile; one's own, or anyone's for admins. Default: one's own. */
  'workspaces.updateProfile': (input: { workspaceId: WorkspaceId; userId?: UserId; profile: MemberProfileInput }) => MemberView[]
  'workspaces.departments': (input: { workspaceId: WorkspaceId }) => DepartmentView[]
  /** Creates (no `departmentId`) or updates a department (admins). */
  'workspaces.saveDepartment': (input: { workspaceId: WorkspaceId; departmentId?: DepartmentId; parentId: DepartmentId | null; name: string; order?: number }) => DepartmentView[]
  'workspaces.deleteDepartment': (input: { workspaceId: WorkspaceId; departmentId: DepartmentId }) => DepartmentView[]
  /** Puts a member in exactly these departments (admins). */
  'workspaces.assign': (input: { workspaceId: WorkspaceId; userId: UserId; departments: DepartmentId[] }) => MemberView[]
  /** Replaces the workspace's relay list (admins; at most 8 full multiaddrs ending in `/p2p/<id>`). */
  'workspaces.setRelays': (input: { workspaceId: WorkspaceId; relays: string[] }) => WorkspaceView
  /** Turns relaying through colleagues' devices on or off for the workspace (admins). */
  'workspaces.setMemberRelay': (input: { workspaceId: WorkspaceId; enabled: boolean }) => WorkspaceView
  /**
   * Sets the workspace's file rules (admins): every member's device refuses to share, fetch or
   * serve a file they forbid (`blocked-by-policy`).
   */
  'workspaces.setFilePolicy': (input: { workspaceId: WorkspaceId } & FilePolicyView) => WorkspaceView
  /** Admins: the workspace's message rules (how long its author may recall a message). */
  'workspaces.setMessagePolicy': (input: { workspaceId: WorkspaceId } & MessagePolicyView) => WorkspaceView
  /** Admins: members must, may or must not back up their devices (a device in several workspaces follows the strictest). */
  'workspaces.setBackupPolicy': (input: { workspaceId: WorkspaceId; backups: WorkspaceView['backupPolicy'] }) => WorkspaceView
  /**
   * Colleagues by name, pinyin (全拼), pinyin initials, email, title or phone; best match first.
   * `departmentId` limits the search to that department and everything below it.
   */
  'directory.search': (input: { workspaceId: WorkspaceId; query: string; departmentId?: DepartmentId; limit?: number }) => MemberView[]
  /**
   * One search over everything on this device: messages and files (the sealed index), docs by
   * title, channels and people by name, pinyin or initials. `kinds` limits what is looked for;
   * `remember` keeps the words among the recent searches (when the user opens a hit or presses Enter).
   */
  'search.query': (input: MessageSearchInput & { kinds?: SearchKind[]; remember?: boolean }) => SearchResults
  /** The last searches, newest first (at most 10), kept sealed on this device. */
  'search.recent': (input: Record<string, never>) => string[]
  'search.forgetRecent': (input: Record<string, never>) => string[]
  'backup.status': (input: Record<string, never>) => BackupStatusView
  /** Backs up this device into a new file in `folder`, protected by `passphrase` (docs/backup.md). */
  'backup.create': (input: { folder: string; passphrase: string }) => BackupSummaryView
  /** Reads a backup whole and checks every byte against its manifest ("restore test"); restores nothing. */
  'backup.verify': (input: { file: string; passphrase: string }) => BackupSummaryView
  /**
   * On a device with no conversations and no workspace yet (first start): restores a backup in
   * its place. The node restarts as the restored device; shells reconnect and reload.
   */
  'backup.restore': (input: { file: string; passphrase: string }) => BackupSummaryView
  /** Automatic backups (the passphrase is kept sealed on this device to make them), or none. */
  'backup.setSchedule': (input: { schedule: (BackupScheduleView & { passphrase: string }) | null }) => BackupStatusView
  /** Linking devices (docs/devices.md): a code this device shows; the digits a new device shows for a code; linking by a code; the answer on the device that showed it. */
  'devices.linkCode': (input: Record<string, never>) => LinkCodeView
  'devices.readLinkCode': (input: { code: string }) => LinkPreview
  'devices.link': (input: { code: string }) => WorkspaceView[]
  'devices.confirmLink': (input: { requestId: string; accept: boolean }) => Record<string, never>
  /** Removes a lost device: one of this person's in every workspace, or (admins) a member's in `workspaceId`. Returns the workspaces changed. */
  'devices.remove': (input: { device: PeerIdString; workspaceId?: WorkspaceId }) => WorkspaceId[]
  /** Docs shared in a conversation, or personal docs (`conversationId` omitted); newest change first. */
  /**
   * Shares a file on this device's disk (a path the core can read: the CLI's and the desktop
   * app's picker) in a conversation, with an optional caption: sealed and stored here, then
   * announced by a message that members fetch it by. Resolves with that message.
   */
  'files.send': (input: ConversationRef & { path: string; caption?: string }) => MessageView
  /** Shares a file this device has whole in another conversation: sealed afresh (new key), `caption` under it. */
  'files.forward': (input: ConversationRef & { messageId: MessageId; caption?: string }) => MessageView
  /**
   * A file from a shell that has no path for it (dropped, picked or pasted in the app): start,
   * send its chunks in order (`chunkBytes` each, base64, the last one shorter), then finish into
   * a conversation. Each chunk is sealed as it arrives; no plaintext is written on this device.
   * An upload idle for an hour is dropped.
   */
  'files.startUpload': (input: { name: string; size: number; mime?: string }) => { uploadId: string; chunkBytes: number }
  'files.uploadChunk': (input: { uploadId: string; index: number; data: Base64 }) => { received: number }
  /** `preview`: an image's or video's look, made by the shell (the core decodes no pictures). */
  'files.finishUpload': (input: ConversationRef & { uploadId: string; caption?: string; preview?: FilePreviewView }) => MessageView
  'files.cancelUpload': (input: { uploadId: string }) => Record<string, never>
  /**
   * A link to save a file that is on this device, for the browser shell: `/download/<ticket>`
   * on the app's own origin, good for one download within a minute.
   */
  'files.downloadLink': (input: { messageId: MessageId }) => { path: string }
  'files.get': (input: { messageId: MessageId }) => FileView
  /**
   * One chunk of a file's plaintext (`index` from 0; the file's chunk size each, the last one
   * shorter), if that chunk is on this device: how a shell shows a picture or plays a video.
   */
  'files.readChunk': (input: { messageId: MessageId; index: number }) => { data: Base64 }
  /** Files shared in a conversation, or (no `conversationId`) in every conversation, as this device knows them. */
  'files.list': (input: { conversationId?: ConversationId }) => FileView[]
  /** Starts or resumes fetching a file from any member who holds it; resolves at once with its state. */
  'files.download': (input: { messageId: MessageId }) => FileView
  'files.pause': (input: { messageId: MessageId }) => FileView
  /** Writes the file to `path` (fetching it first if needed); resolves once it is written whole. */
  'files.save': (input: { messageId: MessageId; path: string }) => { path: string; size: number }
  /** Room the files on this device take, against the file store's quota. */
  'files.usage': (input: Record<string, never>) => FilesUsage
  /**
   * Frees the room a file takes on this device (any transfer stops): it stays in its
   * conversation and can be fetched again from colleagues who hold it. For a file this device
   * shared, colleagues can then fetch it only from those who already did.
   */
  'files.remove': (input: { messageId: MessageId }) => FileView
  'docs.list': (input: { conversationId?: ConversationId }) => DocView[]
  /** A new board or note, shared with a conversation's members or (no `conversationId`) personal. */
  'docs.create': (input: { kind: DocKind; title: string; conversationId?: ConversationId }) => DocView
  'docs.rename': (input: { docId: DocId; title: string }) => DocView
  /**
   * The doc's whole state as one Yjs update. Every shell receives `docs.updated` and
   * `docs.awareness` for every doc and applies those of the docs it has open.
   */
  'docs.open': (input: { docId: DocId }) => { doc: DocView; state: Base64 }
  /** A Yjs update made in this shell: stored, then sealed and sent to the doc's members. */
  'docs.update': (input: { docId: DocId; update: Base64 }) => DocView
  /** This shell's awareness (cursor, name, colour) as a y-protocols awareness update; never stored. */
  'docs.awareness': (input: { docId: DocId; update: Base64 }) => Record<string, never>
  /** Calls this device knows of that ring or run, and those ended lately (after a reload). */
  'calls.list': (input: Record<string, never>) => CallView[]
  /** Starts a call in a conversation and rings its members' devices; this device is in it. */
  'calls.start': (input: { conversationId: ConversationId; video: boolean }) => CallView
  'calls.join': (input: { callId: CallId }) => CallView
  'calls.decline': (input: { callId: CallId }) => CallView
  'calls.leave': (input: { callId: CallId }) => CallView
  /** This device's microphone (`muted`) or camera changed: the others see it. */
  'calls.media': (input: { callId: CallId; muted: boolean; camera: boolean }) => CallView
  /** The shell's WebRTC offer, answer or candidate for one participant. */
  'calls.signal': (input: { callId: CallId; to: PeerIdString; signal: CallSignal }) => Record<string, never>
  /** The call's frame key (MLS exporter of the conversation's epoch); `calls.keyChanged` brings the next. */
  'calls.key': (input: { callId: CallId }) => CallKeyView
}

export interface WorkspaceView {
  id: WorkspaceId
  name: string
  /** Root key fingerprint, for comparing out of band. */
  fingerprint: string
  /** This device's user in the workspace. */
  userId: UserId
  role: Role
  /** `removed`: an admin removed this device's user; the workspace is kept read-only. */
  status: 'active' | 'pending' | 'removed'
  memberCount: number
  /** This device's certificate (renewed automatically), or null while it has none. */
  certificate: { role: Role; expiresAt: number } | null
  /** The company's relays this workspace lists (full multiaddrs); every member keeps a reservation on each. */
  relays: string[]
  /**
   * May members' devices carry (end-to-end encrypted) traffic between colleagues who cannot reach
   * each other, while `relays` is empty. On by default; admins turn it off.
   */
  memberRelay: boolean
  /** The workspace's file rules (admins set them): largest file in bytes (null: no limit), blocked extensions, files where guests are. */
  filePolicy: FilePolicyView
  /** The workspace's message rules (admins set them). */
  messagePolicy: MessagePolicyView
  /** Backups of members' devices (admins set it): up to each member, required, or forbidden. */
  backupPolicy: 'optional' | 'required' | 'forbidden'
  /** The workspace's own channel: every active member is in it; its notes & boards are the workspace's. */
  channelId: ConversationId
}

export interface MessagePolicyView {
  /** Minutes after sending its author may recall a message (channel managers any time); null: any time. */
  recallMinutes: number | null
}

export interface FilePolicyView {
  maxBytes: number | null
  /** Lower-case extensions, without the dot. */
  blocked: string[]
  /** May files be shared in conversations that have a guest in them. */
  guests: boolean
}

export interface MemberView {
  userId: UserId
  role: Role
  status: 'active' | 'pending'
  name: string
  title: string | null
  email: string | null
  phone: string | null
  /** data: URL of a small image, or null. */
  avatar: string | null
  departments: DepartmentId[]
  devices: PeerIdString[]
  /** Any of the member's devices is connected to this one. */
  online: boolean
  /** The best presence among the member's devices. */
  presence: Presence
}

export interface DepartmentView {
  id: DepartmentId
  parentId: DepartmentId | null
  name: string
  order: number
}

export interface MemberProfileInput {
  name: string
  title?: string
  phone?: string
  email?: string
  avatar?: string
}

/** Where an `enclave://` link points. */
export type LinkTarget =
  | { kind: 'conversation'; conversationId: ConversationId }
  | { kind: 'peer'; peerId: PeerIdString }
  /** One message, opened in its conversation (`enclave://message/<encoded id>`). */
  | { kind: 'message'; messageId: MessageId }

export interface Events {
  /** A backup started, moved, ended or was scheduled (progress at most a few times a second). */
  'backup.changed': BackupStatusView
  /** A device asks to link through this device's code (compare `sas`, then `devices.confirmLink`), and each step after. */
  'devices.linkRequest': LinkRequestView
  /** The search index's progress changed (history being indexed, or a rebuild). */
  'search.indexChanged': SearchIndexView
  'chat.messageAdded': MessageView
  /** Older messages came from another device of this person (a newly linked one's history): pages further back can be loaded. */
  'chat.historyImported': { conversationId: ConversationId; count: number }
  /** A message changed: its delivery, an edit, a recall, reactions, a pin, or the message it quotes. */
  'chat.messageUpdated': MessageView
  /** Reactions on a message changed (also in `chat.messageUpdated`, when the message is here). */
  'chat.reactionsChanged': { messageId: MessageId; conversationId: ConversationId; reactions: ReactionView[] }
  /** Its author edited a message: `text` is the new text. */
  'chat.messageEdited': { messageId: MessageId; conversationId: ConversationId; text: string; editedAt: number }
  /** A message was recalled for everyone; its content is erased on this device. */
  'chat.messageRecalled': { messageId: MessageId; conversationId: ConversationId; by: PeerIdString }
  /** A member read a conversation up to the messages whose order starts with `upTo` (17 digits) or before. */
  'chat.readChanged': { conversationId: ConversationId; by: PeerIdString; upTo: string }
  /** A member is typing in a conversation (shown for about 5 s unless told again). */
  'chat.typing': { conversationId: ConversationId; peerId: PeerIdString }
  /** A message was pinned or unpinned. */
  'chat.pinsChanged': { conversationId: ConversationId; messageId: MessageId; pinned: boolean }
  'conversations.changed': ConversationView
  /** A draft was kept or removed (by any window of this device). */
  'drafts.changed': DraftView
  'peers.changed': PeerView
  'profile.changed': ProfileView
  'shell.linkOpened': LinkTarget
  /** A window asked to save a file (`shell.saveFile`): for the desktop shell's main process. */
  'shell.saveFileAsked': { messageId: MessageId; name: string }
  /** Anything about a workspace changed: members, roles, this device's own standing. */
  'workspaces.changed': WorkspaceView
  /** A file's transfer moved (at most 4 times a second per file) or changed state. */
  'files.changed': FileView
  /** A doc's title, sync state or last change time changed, or it was created. */
  'docs.changed': DocView
  /** A Yjs update to an open doc, from a peer or another shell of this device. */
  'docs.updated': { docId: DocId; update: Base64 }
  'docs.awareness': { docId: DocId; update: Base64 }
  /** A call rang, was answered, changed its participants, their microphones or cameras, or ended. */
  'calls.changed': CallView
  /** A participant's WebRTC offer, answer or candidate for this device's shell. */
  'calls.signal': { callId: CallId; from: PeerIdString; signal: CallSignal }
  /** The conversation's group moved to a new epoch (someone joined or left): a new frame key. */
  'calls.keyChanged': CallKeyView
  /** Connections, reservations, relay figures or failures changed (at most a few times a second). */
  'net.healthChanged': NetHealthView
}

export type Method = keyof Requests
/** How the core announces an event to every connected shell. */
export type Emit = <E extends EventName>(name: E, payload: Events[E]) => void
export type EventName = keyof Events
export type RequestInput<M extends Method> = Parameters<Requests[M]>[0]
export type RequestOutput<M extends Method> = ReturnType<Requests[M]>

export { ERROR_CODES, type ApiError, type ApiResult, type ErrorCode } from './api-errors.js'
export type { FilePreviewView, FilesUsage, FileView, MessageFile } from './file-views.js'
export type { DocSearchHit, MessageSearchInput, SearchHit, SearchIndexView, SearchKind } from './search-views.js'
import type { DocSearchHit, MessageSearchInput, SearchHit, SearchIndexView, SearchKind } from './search-views.js'
import type { FilePreviewView, FilesUsage, FileView } from './file-views.js'
import type { ApiResult } from './api-errors.js'

/** Frames on an API port (MessagePort or loopback WebSocket), JSON-encoded. */
export type ClientFrame = { type: 'call'; id: number; method: string; params?: unknown }
export type ServerFrame =
  | ({ type: 'result'; id: number } & ApiResult<unknown>)
  | { type: 'event'; name: EventName; payload: unknown }

/** WebSocket subprotocol carrying the API version; the token rides in a second subprotocol. */
export const API_SUBPROTOCOL = 'enclave.api.v1'
export const API_TOKEN_PREFIX = 'token.'
