import { CallSession } from '../features/calls/call-session.svelte'
import { startRinging, type Ringing } from '../features/calls/ringtone'
import { withEntries } from './readonly-collections'
import { session } from './session.svelte'
import { t } from '../i18n/i18n.svelte'
import type { CallId, CallView, ConversationId } from '../../src/api/contract'

/** Why a call could not start or go on, in the person's words: a missing or refused device by name. */
function problemText(err: unknown): string {
  if (err instanceof DOMException && err.name === 'NotAllowedError') return t('call.problem.NotAllowedError')
  if (err instanceof DOMException && err.name === 'NotFoundError') return t('call.problem.NotFoundError')
  return t('call.problem', { reason: err instanceof Error ? err.message : String(err) })
}

/**
 * Calls this device knows of (`calls.changed`), the one it is in (a `CallSession` with its media),
 * and the one ringing. Signals and new frame keys go to the session of their call.
 */
class CallsState {
  byId = $state.raw<ReadonlyMap<CallId, CallView>>(new Map())
  current = $state.raw<CallSession | null>(null)
  /** What went wrong last (no camera, a refused join), shown in the call's bar until the next call. */
  problem = $state<string | null>(null)
  private ringing: Ringing | null = null

  constructor() {
    session.onConnected((api) => {
      api.on('calls.changed', (view) => { this.upsert(view) })
      api.on('calls.signal', ({ callId, from, signal }) => {
        if (this.current?.callId === callId) this.current.signal(from, signal).catch((err: unknown) => { this.problem = problemText(err) })
      })
      api.on('calls.keyChanged', (key) => { if (this.current?.callId === key.callId) this.current.key(key) })
      void api.call('calls.list', {}).then((list) => { for (const v of list) this.upsert(v) }, () => undefined)
    })
  }

  /** The call this device is in. */
  get joined(): CallView | null {
    const id = this.current?.callId
    return id === undefined ? null : this.byId.get(id) ?? null
  }

  /** The call ringing here, if any (the newest). */
  get incoming(): CallView | null {
    return [...this.byId.values()].filter((c) => c.state === 'ringing').sort((a, b) => b.startedAt - a.startedAt)[0] ?? null
  }

  /** A call running in the conversation that this device could join. */
  runningIn(conversationId: ConversationId): CallView | null {
    return [...this.byId.values()].find((c) => c.conversationId === conversationId && c.state !== 'joined' && c.state !== 'ended' && c.participants.length > 0) ?? null
  }

  async start(conversationId: ConversationId, video: boolean): Promise<void> {
    await this.enter(await session.api.call('calls.start', { conversationId, video }), video)
  }

  /** Joins a call, with this device's camera on when `video` (a video call answered by voice has it off). */
  async join(callId: CallId, video = this.byId.get(callId)?.video ?? false): Promise<void> {
    await this.enter(await session.api.call('calls.join', { callId }), video)
  }

  async decline(callId: CallId): Promise<void> {
    this.upsert(await session.api.call('calls.decline', { callId }))
  }

  async leave(): Promise<void> {
    const callId = this.current?.callId
    this.end()
    if (callId !== undefined) this.upsert(await session.api.call('calls.leave', { callId }))
  }

  async setMuted(muted: boolean): Promise<void> {
    const s = this.current
    if (s === null) return
    await s.setMuted(muted)
    this.upsert(await session.api.call('calls.media', { callId: s.callId, muted, camera: s.camera }))
  }

  async setCamera(on: boolean): Promise<void> {
    const s = this.current
    if (s === null) return
    await s.setCamera(on)
    this.upsert(await session.api.call('calls.media', { callId: s.callId, muted: s.muted, camera: on }))
  }

  private async enter(view: CallView, video: boolean): Promise<void> {
    this.problem = null
    this.upsert(view)
    const s = new CallSession(session.api, session.info?.peerId ?? view.startedBy, view, video)
    this.current?.close()
    this.current = s
    try {
      await s.start()
    } catch (err) {
      // No camera or microphone (or none allowed): out of the call again, saying why.
      this.problem = problemText(err)
      await this.leave()
    }
  }

  private end(): void {
    this.current?.close()
    this.current = null
  }

  private upsert(view: CallView): void {
    this.byId = withEntries(this.byId, [[view.id, view]])
    if (this.current?.callId === view.id) {
      if (view.state === 'joined') this.current.update(view)
      else this.end()
    }
    const ringing = this.incoming !== null
    if (ringing && this.ringing === null) this.ringing = startRinging()
    if (!ringing && this.ringing !== null) { this.ringing.stop(); this.ringing = null }
  }
}

export const calls = new CallsState()
