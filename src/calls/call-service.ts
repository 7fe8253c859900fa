import { randomBytes } from 'node:crypto'
import { EnclaveError, errorMessage } from '../errors.js'
import { parseCallId } from '../ids.js'
import { MAX_CALL_PARTICIPANTS } from '../limits.js'
import { askCall, CALL_PROTOCOL, serveCallStream, type CallRequest } from './call-protocol.js'
import type { CallId, CallKeyView, CallSignal, CallState, CallView, ConversationId, Emit, PeerIdString } from '../api/contract.js'
import type { GroupAccess } from '../chat/chat-service.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { ProtocolHost } from '../net/protocol-host.js'

export interface CallComponents {
  protocols: ProtocolHost
  bus: CoreBus
  emit: Emit
  log: Logger
  self: PeerIdString
  groupAccess(conversationId: ConversationId): GroupAccess | null
  /** Sets up a DM's group if it has none yet, so a call can be the first thing said in it. */
  prepareGroup(conversationId: ConversationId): Promise<void>
  /** Is `device` another device of this device's own person? */
  isSibling(device: PeerIdString): boolean
  /** @default 45 s */
  ringMs?: number
}

export interface CallService {
  list(): CallView[]
  place(conversationId: ConversationId, video: boolean): Promise<CallView>
  join(callId: CallId): Promise<CallView>
  decline(callId: CallId): CallView
  leave(callId: CallId): CallView
  /** This device's microphone or camera went on or off: the others show it. */
  media(callId: CallId, muted: boolean, camera: boolean): CallView
  /** Passes the shell's offer, answer or candidate to one participant. */
  signal(callId: CallId, to: PeerIdString, signal: CallSignal): Promise<void>
  /** The call's frame key at the conversation's current epoch: only for a call this device is in. */
  key(callId: CallId): Promise<CallKeyView>
  stop(): Promise<void>
}

/** The MLS exporter label of call frame keys (docs/protocol.md, Calls); the call id is the context. */
export const CALL_EXPORTER_LABEL = 'enclave/call/frame/v1'
/** Calls that have ended are shown for a while (a missed call) and forgotten after this many. */
const MAX_ENDED_CALLS = 50
/** Tries of a ring refused as not from a member (a DM's welcome still on its way): about 6 s in all. */
const RING_TRIES = 6
/** Calls ringing here at once: a member starting call after call cannot ring more. */
const MAX_RINGING = 4

interface Participant { muted: boolean; camera: boolean }
interface Call {
  id: CallId
  conv: ConversationId
  video: boolean
  startedBy: PeerIdString
  startedAt: number
  state: CallState
  participants: Map<PeerIdString, Participant>
  busy: Set<PeerIdString>
  ringTimer?: NodeJS.Timeout
  /** The last frame key given to this device's shell (base64): a new one is announced when it differs. */
  keySecret?: string
}

const live = (c: Call): boolean => c.state === 'ringing' || c.state === 'joined'

/**
 * Calls in conversations (issue 19): who is in which call, and the signalling that lets the
 * shells connect their media. The media itself never passes through the core: the shells run
 * WebRTC and encrypt every frame with a key from the conversation's MLS group (`key`).
 */
export async function createCallService(components: CallComponents): Promise<CallService> {
  const { protocols, bus, emit, log, self } = components
  const ringMs = components.ringMs ?? 45_000
  const calls = new Map<CallId, Call>()
  /** Requests to one device go one after another, so its shell sees an offer before its candidates. */
  const queues = new Map<PeerIdString, Promise<void>>()

  const view = (c: Call): CallView => ({
    id: c.id,
    conversationId: c.conv,
    video: c.video,
    startedBy: c.startedBy,
    startedAt: c.startedAt,
    state: c.state,
    participants: [...c.participants].map(([device, p]) => ({ device, muted: p.muted, camera: p.camera })),
    busy: [...c.busy]
  })
  const changed = (c: Call): CallView => {
    const v = view(c)
    emit('calls.changed', v)
    return v
  }
  const settle = (c: Call, state: CallState): void => {
    clearTimeout(c.ringTimer)
    c.state = state
    if (state !== 'joined') c.participants.delete(self)
    // Ended calls are kept a while for the shells, then forgotten, oldest first.
    const ended = [...calls.values()].filter((x) => !live(x))
    for (const old of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_CALLS))) calls.delete(old.id)
  }

  const send = (to: PeerIdString, req: CallRequest): Promise<void> => {
    const next = (queues.get(to) ?? Promise.resolve()).then(async () => {
      await askCall(await protocols.dial(to, CALL_PROTOCOL, AbortSignal.timeout(5_000)), req)
    })
    const tail = next.catch(() => undefined)
    queues.set(to, tail)
    void tail.then(() => { if (queues.get(to) === tail) queues.delete(to) })
    return next
  }
  /**
   * Tells devices something that matters but is not waited on (they may be away). A ring a
   * member refuses as from a stranger is tried again a few times while the call lasts: in a DM
   * set up for this call, the welcome into its group may still be on its way to them.
   */
  const tell = (to: Iterable<PeerIdString>, req: CallRequest): void => {
    for (const peer of new Set(to)) {
      if (peer === self) continue
      const attempt = (n: number): void => {
        send(peer, req).catch((err: unknown) => {
          const call = calls.get(req.call)
          if (req.t === 'ring' && n < RING_TRIES && err instanceof EnclaveError && err.code === 'not-member' && call !== undefined && live(call)) {
            setTimeout(() => { attempt(n + 1) }, 300 * n).unref()
            return
          }
          log.debug('call request not delivered', { peer, t: req.t, error: errorMessage(err) })
        })
      }
      attempt(1)
    }
  }

  const access = (conv: ConversationId): GroupAccess => {
    const group = components.groupAccess(conv)
    if (group === null) throw new EnclaveError('not-member', 'this device is not in that conversation')
    return group
  }
  const own = (callId: CallId): Call => {
    const c = calls.get(callId)
    if (c === undefined) throw new EnclaveError('not-found', `no call ${callId}`)
    return c
  }
  const joinedCall = (): Call | undefined => [...calls.values()].find((c) => c.state === 'joined')
  const others = (c: Call): PeerIdString[] => [...c.participants.keys()].filter((d) => d !== self)
  const siblingsIn = (group: GroupAccess): PeerIdString[] => group.members.filter((d) => components.isSibling(d))
  /** Everyone a join or a leave is told to: the call's participants and every member of the conversation now. */
  const everyone = (c: Call): PeerIdString[] => [...others(c), ...components.groupAccess(c.conv)?.members ?? []]

  const ringOut = (c: Call): void => {
    clearTimeout(c.ringTimer)
    c.ringTimer = setTimeout(() => {
      if (c.state !== 'ringing') return
      settle(c, 'missed')
      changed(c)
    }, ringMs)
    c.ringTimer.unref()
  }

  /** A member's request. Anyone else gets not-member; a call this device never heard of, not-found. */
  const handle = (from: PeerIdString, req: CallRequest): void => {
    const group = components.groupAccess(req.conv)
    if (group === null || !group.members.includes(from)) throw new EnclaveError('not-member', 'not a member of that conversation')
    const known = calls.get(req.call)
    if (known !== undefined && known.conv !== req.conv) throw new EnclaveError('wrong-conversation', 'that call is in another conversation')
    if (req.t === 'ring') {
      if (known !== undefined) {
        for (const d of [from, ...req.participants]) if (group.members.includes(d) && known.participants.size < MAX_CALL_PARTICIPANTS && !known.participants.has(d)) known.participants.set(d, { muted: false, camera: req.video })
        changed(known)
        return
      }
      // One device rings here once at a time: a newer call of its replaces the older (missed),
      // so a member starting call after call cannot take the ringing places of everyone else.
      for (const older of calls.values()) {
        if (older.state === 'ringing' && older.startedBy === from) { settle(older, 'missed'); changed(older) }
      }
      const ringing = [...calls.values()].filter((c) => c.state === 'ringing')
      if (ringing.length >= MAX_RINGING) throw new EnclaveError('rate-limited', 'too many calls are ringing here')
      const c: Call = { id: req.call, conv: req.conv, video: req.video, startedBy: from, startedAt: Math.min(req.startedAt, Date.now()), state: 'ringing', participants: new Map(), busy: new Set() }
      for (const d of [from, ...req.participants]) if ((d === from || group.members.includes(d)) && c.participants.size < MAX_CALL_PARTICIPANTS) c.participants.set(d, { muted: false, camera: req.video })
      calls.set(c.id, c)
      if (components.isSibling(from)) {
        // This person started it on another device: nothing rings here.
        settle(c, 'elsewhere')
      } else if (joinedCall() !== undefined) {
        settle(c, 'missed')
        tell([from], { t: 'decline', call: c.id, conv: c.conv, busy: true })
      } else {
        ringOut(c)
      }
      changed(c)
      return
    }
    if (known === undefined) throw new EnclaveError('not-found', `no call ${req.call}`)
    const c = known
    switch (req.t) {
      case 'join':
        if (!c.participants.has(from) && c.participants.size >= MAX_CALL_PARTICIPANTS) throw new EnclaveError('call-full', 'the call is full')
        c.participants.set(from, c.participants.get(from) ?? { muted: false, camera: req.video })
        c.busy.delete(from)
        // Answered on another device of this person: this one stops ringing.
        if (c.state === 'ringing' && components.isSibling(from)) settle(c, 'elsewhere')
        break
      case 'leave':
        c.participants.delete(from)
        if (c.state === 'joined' && others(c).length === 0) settle(c, 'ended')
        else if (c.state === 'ringing' && c.participants.size === 0) settle(c, 'missed')
        else if (!live(c) && c.participants.size <= 1) { c.participants.clear(); settle(c, c.state === 'left' ? 'ended' : c.state) }
        break
      case 'decline':
        if (components.isSibling(from)) {
          if (c.state === 'ringing') settle(c, 'declined')
          break
        }
        if (req.busy) c.busy.add(from)
        // In a conversation of two people, the other one saying no ends the call.
        if (c.state === 'joined' && c.conv.startsWith('dm:') && others(c).length === 0) settle(c, 'ended')
        break
      case 'media': {
        const p = c.participants.get(from)
        if (p === undefined) throw new EnclaveError('not-member', 'not in that call')
        p.muted = req.muted
        p.camera = req.camera
        break
      }
      case 'sdp':
      case 'ice':
        if (c.state !== 'joined' || !c.participants.has(from)) throw new EnclaveError('not-member', 'not in that call')
        emit('calls.signal', { callId: c.id, from, signal: req.t === 'sdp' ? { kind: req.kind, sdp: req.sdp } : { kind: 'ice', candidate: req.candidate, mid: req.mid, index: req.index } })
        return
    }
    changed(c)
  }

  const key = async (c: Call): Promise<CallKeyView> => {
    const group = access(c.conv)
    const secret = Buffer.from(await group.exportSecret(CALL_EXPORTER_LABEL, new TextEncoder().encode(c.id))).toString('base64')
    c.keySecret = secret
    return { callId: c.id, epoch: group.epoch, secret }
  }

  // Someone joined or left the conversation: a new epoch brings a new frame key, and a device no
  // longer in the group is no longer in the call.
  const onConversation = async ({ id }: { id: ConversationId }): Promise<void> => {
    for (const c of calls.values()) {
      if (c.conv !== id || !live(c)) continue
      const group = components.groupAccess(id)
      if (group === null) {
        settle(c, 'ended')
        changed(c)
        continue
      }
      let gone = false
      for (const d of others(c)) if (!group.members.includes(d)) { c.participants.delete(d); gone = true }
      if (gone) changed(c)
      // A new epoch, or another of the conversation's groups now current (two devices started
      // one at once): whichever, the exporter gives another secret.
      if (c.state === 'joined' && c.keySecret !== undefined) {
        const before = c.keySecret
        const next = await key(c)
        if (next.secret !== before) {
          log.info('call key renewed', { call: c.id, epoch: next.epoch })
          emit('calls.keyChanged', next)
        }
      }
    }
  }
  const offConversation = bus.on('conversation:changed', (evt) => onConversation(evt).catch((err: unknown) => { log.warn('call key not renewed', { error: errorMessage(err) }) }))

  await protocols.handleMembers(CALL_PROTOCOL, (stream, connection) => serveCallStream(handle, log, stream, connection), { maxInboundStreams: 16 })

  return {
    list: () => [...calls.values()].map(view),

    place: async (conversationId, video) => {
      await components.prepareGroup(conversationId)
      const group = access(conversationId)
      if (joinedCall() !== undefined) throw new EnclaveError('bad-request', 'leave the call you are in first')
      if (group.members.length === 0) throw new EnclaveError('bad-request', 'nobody else is in that conversation')
      const c: Call = { id: parseCallId(randomBytes(16).toString('hex')), conv: conversationId, video, startedBy: self, startedAt: Date.now(), state: 'joined', participants: new Map([[self, { muted: false, camera: video }]]), busy: new Set() }
      calls.set(c.id, c)
      tell(group.members, { t: 'ring', call: c.id, conv: c.conv, video, startedAt: c.startedAt, participants: [self] })
      return changed(c)
    },

    join: async (callId) => {
      const c = own(callId)
      access(c.conv) // still in the conversation, or not-member
      if (c.state === 'joined') return view(c)
      const current = joinedCall()
      if (current !== undefined) throw new EnclaveError('bad-request', 'leave the call you are in first')
      if (others(c).length === 0) throw new EnclaveError('not-found', 'that call has ended')
      if (c.participants.size >= MAX_CALL_PARTICIPANTS) throw new EnclaveError('call-full', `a call holds ${MAX_CALL_PARTICIPANTS} devices`)
      clearTimeout(c.ringTimer)
      c.state = 'joined'
      c.participants.set(self, { muted: false, camera: c.video })
      // Every member, not only those in the call: one still ringing learns who is in, and tells
      // them in turn when it answers (the mesh needs every pair to know of each other).
      tell(everyone(c), { t: 'join', call: c.id, conv: c.conv, video: c.video })
      return Promise.resolve(changed(c))
    },

    decline: (callId) => {
      const c = own(callId)
      if (c.state !== 'ringing') return view(c)
      settle(c, 'declined')
      const group = components.groupAccess(c.conv)
      tell([...others(c), ...(group === null ? [] : siblingsIn(group))], { t: 'decline', call: c.id, conv: c.conv, busy: false })
      return changed(c)
    },

    leave: (callId) => {
      const c = own(callId)
      if (c.state !== 'joined') return view(c)
      // Every member: a device still ringing stops when nobody is left in the call (a caller who hung up).
      const told = everyone(c)
      // One device alone is no call: left by all but one, it is over (not one to join again).
      settle(c, others(c).length <= 1 ? 'ended' : 'left')
      tell(told, { t: 'leave', call: c.id, conv: c.conv })
      return changed(c)
    },

    media: (callId, muted, camera) => {
      const c = own(callId)
      const me = c.participants.get(self)
      if (c.state !== 'joined' || me === undefined) throw new EnclaveError('bad-request', 'this device is not in that call')
      me.muted = muted
      me.camera = camera
      tell(others(c), { t: 'media', call: c.id, conv: c.conv, muted, camera })
      return changed(c)
    },

    signal: async (callId, to, signal) => {
      const c = own(callId)
      if (c.state !== 'joined' || to === self || !c.participants.has(to)) throw new EnclaveError('bad-request', 'that device is not in this call with you')
      const req: CallRequest = signal.kind === 'ice'
        ? { t: 'ice', call: c.id, conv: c.conv, candidate: signal.candidate, mid: signal.mid, index: signal.index }
        : { t: 'sdp', call: c.id, conv: c.conv, kind: signal.kind, sdp: signal.sdp }
      await send(to, req).catch((err: unknown) => {
        throw err instanceof EnclaveError ? err : new EnclaveError('peer-unreachable', `could not reach that device: ${errorMessage(err)}`)
      })
    },

    key: async (callId) => {
      const c = own(callId)
      if (c.state !== 'joined') throw new EnclaveError('bad-request', 'join the call first')
      return key(c)
    },

    stop: async () => {
      offConversation()
      for (const c of calls.values()) {
        clearTimeout(c.ringTimer)
        if (c.state === 'joined') tell(everyone(c), { t: 'leave', call: c.id, conv: c.conv })
      }
      await Promise.all([...queues.values()])
    }
  }
}
