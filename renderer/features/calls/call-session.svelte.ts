import { SvelteMap } from 'svelte/reactivity'
import { loadSaved } from '../../state/saved-prefs'
import type { ApiClient } from '../../../src/api/api-client'
import type { CallId, CallKeyView, CallSignal, CallView, PeerIdString } from '../../../src/api/contract'
import type { TransformOptions, WorkerMessage, WorkerReport } from './call-worker'

/** What a participant's connection shows in the call's details (and what tests read). */
export interface PeerStats {
  framesDecoded: number
  audioPacketsReceived: number
  /** This device's audio packets sent to the participant. */
  audioPacketsSent: number
  framesEncoded: number
  width: number
  height: number
  /** Frames (audio and video) from the participant that opened with their key, and those that did not (dropped, never decoded). */
  framesOpened: number
  framesRefused: number
  /** The DTLS certificate the participant presented is the one its signalled offer or answer named. */
  fingerprintChecked: boolean
}

interface Peer {
  pc: RTCPeerConnection
  /** Candidates that came before the offer or answer they belong to. */
  pending: RTCIceCandidateInit[]
  senders: RTCRtpSender[]
}

/** How often levels (the active speaker) and the details are read from the connections. */
const STATS_MS = 500
/** Looks for the other side's certificate in the stats this many times, 250 ms apart. */
const FINGERPRINT_TRIES = 40
/** Audio above this level counts as speaking. */
const SPEAKING_LEVEL = 0.02

/** Where the microphone, camera and speaker chosen last are kept (device ids, this browser profile's). */
export const DEVICES_KEY = 'enclave.callDevices'
export interface DeviceChoice { microphone: string; camera: string; speaker: string }
const constraint = (deviceId: string | undefined): MediaTrackConstraints | true => (deviceId === undefined || deviceId === '' ? true : { deviceId: { ideal: deviceId } })

const decodeKey = (k: CallKeyView): WorkerMessage => ({ type: 'key', epoch: k.epoch, secret: Uint8Array.from(atob(k.secret), (c) => c.charCodeAt(0)) })

/** The SHA-256 fingerprint an SDP names for its DTLS certificate (upper-case hex with colons). */
export function sdpFingerprint(sdp: string): string | null {
  return /^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)\s*$/m.exec(sdp)?.[1]?.toUpperCase() ?? null
}

/**
 * This window's part in one call: its camera and microphone, a peer connection to each other
 * participant (a mesh), and the worker that seals and opens every frame. Offers go from the
 * device whose id sorts first, so two devices never offer to each other at once.
 */
export class CallSession {
  local = $state.raw<MediaStream | null>(null)
  readonly remotes = new SvelteMap<PeerIdString, MediaStream>()
  readonly stats = new SvelteMap<PeerIdString, PeerStats>()
  /** The participant speaking loudest now, or null. */
  speaking = $state<PeerIdString | null>(null)
  muted = $state(false)
  camera = $state(false)
  failed = $state<string | null>(null)
  /** The chosen speaker (an audiooutput device id; '' for the system's). */
  speaker = $state(loadSaved<DeviceChoice>(DEVICES_KEY).speaker ?? '')
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping; what shows is copied into `stats`
  private readonly peers = new Map<PeerIdString, Peer>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping; what shows is copied into `stats`
  private readonly opened = new Map<PeerIdString, { opened: number; refused: number }>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping; what shows is copied into `stats`
  private readonly checked = new Set<PeerIdString>()
  private readonly early: Array<{ from: PeerIdString; signal: CallSignal }> = []
  private readonly worker: Worker
  private timer: ReturnType<typeof setInterval> | undefined
  private closed = false
  private view: CallView

  constructor(private readonly api: ApiClient, private readonly self: PeerIdString, view: CallView, private readonly video: boolean) {
    this.view = view
    this.camera = video
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- the form Vite bundles the worker from
    this.worker = new Worker(new URL('./call-worker.ts', import.meta.url), { type: 'module', name: 'call-worker' })
    this.worker.onmessage = (event: MessageEvent<WorkerReport>) => { this.opened.set(event.data.sender as PeerIdString, event.data) }
  }

  get callId(): CallId { return this.view.id }

  /** Takes the frame key and the camera and microphone, then connects to everyone in the call. */
  async start(): Promise<void> {
    this.worker.postMessage(decodeKey(await this.api.call('calls.key', { callId: this.callId })))
    const chosen = loadSaved<DeviceChoice>(DEVICES_KEY)
    const local = await navigator.mediaDevices.getUserMedia({ audio: constraint(chosen.microphone), video: this.video && constraint(chosen.camera) })
    if (this.closed) { for (const t of local.getTracks()) t.stop(); return }
    this.local = local
    this.timer = setInterval(() => { void this.readStats() }, STATS_MS)
    this.update(this.view)
    for (const { from, signal } of this.early.splice(0)) await this.signal(from, signal)
  }

  /** The call changed: connect to newcomers, let go of those who left. */
  update(view: CallView): void {
    this.view = view
    if (this.local === null || this.closed) return
    const inCall = new Set(view.participants.map((p) => p.device)) // eslint-disable-line svelte/prefer-svelte-reactivity -- a local lookup
    for (const device of inCall) if (device !== this.self && !this.peers.has(device) && this.self < device) void this.offer(device)
    for (const device of [...this.peers.keys()]) if (!inCall.has(device)) this.drop(device)
  }

  key(k: CallKeyView): void { this.worker.postMessage(decodeKey(k)) }

  async signal(from: PeerIdString, signal: CallSignal): Promise<void> {
    if (this.closed) return
    // An offer may come while the camera is still starting: it waits, in order, until it has.
    if (this.local === null) { this.early.push({ from, signal }); return }
    if (signal.kind === 'ice') {
      const peer = this.peer(from)
      const candidate = { candidate: signal.candidate, sdpMid: signal.mid, sdpMLineIndex: signal.index }
      if (peer.pc.remoteDescription === null) peer.pending.push(candidate)
      else await peer.pc.addIceCandidate(candidate)
    } else if (signal.kind === 'offer') {
      const peer = this.peer(from)
      await peer.pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp })
      await this.flush(peer)
      await peer.pc.setLocalDescription(await peer.pc.createAnswer())
      await this.send(from, { kind: 'answer', sdp: peer.pc.localDescription?.sdp ?? '' })
    } else {
      const peer = this.peers.get(from)
      if (peer === undefined) return
      await peer.pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp })
      await this.flush(peer)
    }
  }

  /** Stops sending audio at all (not silence): nothing goes out until unmuted. */
  async setMuted(muted: boolean): Promise<void> {
    this.muted = muted
    await this.resend()
  }

  async setCamera(on: boolean): Promise<void> {
    this.camera = on
    await this.resend()
  }

  useSpeaker(deviceId: string): void {
    this.speaker = deviceId
    localStorage.setItem(DEVICES_KEY, JSON.stringify({ ...loadSaved<DeviceChoice>(DEVICES_KEY), speaker: deviceId }))
  }

  /**
   * Another microphone or camera: its track replaces the old one in every connection (the
   * senders and their transforms stay), and the choice is kept for the next call.
   */
  async useDevice(kind: 'microphone' | 'camera', deviceId: string): Promise<void> {
    const local = this.local
    if (local === null) return
    const audio = kind === 'microphone'
    const fresh = await navigator.mediaDevices.getUserMedia(audio ? { audio: constraint(deviceId) } : { video: constraint(deviceId) })
    const track = audio ? fresh.getAudioTracks()[0] : fresh.getVideoTracks()[0]
    const old = audio ? local.getAudioTracks()[0] : local.getVideoTracks()[0]
    if (track === undefined || old === undefined) { for (const t of fresh.getTracks()) t.stop(); return }
    const tracks = local.getTracks().map((t) => (t === old ? track : t))
    this.local = new MediaStream(tracks)
    old.stop()
    localStorage.setItem(DEVICES_KEY, JSON.stringify({ ...loadSaved<DeviceChoice>(DEVICES_KEY), [kind]: deviceId }))
    await this.resend()
  }

  close(): void {
    this.closed = true
    clearInterval(this.timer)
    for (const device of [...this.peers.keys()]) this.drop(device)
    for (const t of this.local?.getTracks() ?? []) t.stop()
    this.local = null
    this.worker.terminate()
  }

  private async offer(device: PeerIdString): Promise<void> {
    const peer = this.peer(device)
    await peer.pc.setLocalDescription(await peer.pc.createOffer())
    await this.send(device, { kind: 'offer', sdp: peer.pc.localDescription?.sdp ?? '' })
  }

  private async send(to: PeerIdString, signal: CallSignal): Promise<void> {
    await this.api.call('calls.signal', { callId: this.callId, to, signal }).catch((err: unknown) => { this.failed = err instanceof Error ? err.message : String(err) })
  }

  private async flush(peer: Peer): Promise<void> {
    for (const candidate of peer.pending.splice(0)) await peer.pc.addIceCandidate(candidate)
  }

  /** The connection to a participant, made with this device's tracks sealed from the first frame. */
  private peer(device: PeerIdString): Peer {
    const known = this.peers.get(device)
    if (known !== undefined) return known
    // On a LAN, host candidates only: no STUN or TURN server is asked anything.
    const pc = new RTCPeerConnection({ iceServers: [] })
    const peer: Peer = { pc, pending: [], senders: [] }
    this.peers.set(device, peer)
    const local = this.local
    const opens = (): RTCRtpScriptTransform => new RTCRtpScriptTransform(this.worker, { role: 'decrypt', sender: device } satisfies TransformOptions)
    for (const track of local?.getTracks() ?? []) {
      const sender = pc.addTrack(track, ...(local === null ? [] : [local]))
      // Both in the same task as addTrack (measured in Chromium 156): a sender's transform set one
      // task later never sees a frame and media goes out in the clear; the receiver of the same
      // transceiver, given its transform only in ontrack, passes frames to the decoder unopened.
      sender.transform = new RTCRtpScriptTransform(this.worker, { role: 'encrypt', sender: this.self } satisfies TransformOptions)
      const transceiver = pc.getTransceivers().find((t) => t.sender === sender)
      if (transceiver !== undefined) transceiver.receiver.transform = opens()
      peer.senders.push(sender)
      if (track.kind === 'video' && transceiver !== undefined) preferVp8(transceiver)
    }
    // A video call answered by voice still shows the others' video: its offers ask for it without sending any.
    if (this.view.video && !this.video && this.self < device) {
      const transceiver = pc.addTransceiver('video', { direction: 'recvonly' })
      transceiver.receiver.transform = opens()
      preferVp8(transceiver)
    }
    void this.resendOn(peer)
    const opened = new WeakSet(pc.getReceivers())
    pc.ontrack = (event) => {
      // A transceiver the other side's offer made here (it sends what this side does not).
      if (!opened.has(event.receiver)) event.receiver.transform = opens()
      const before = this.remotes.get(device)?.getTracks() ?? []
      this.remotes.set(device, new MediaStream([...before.filter((t) => t.kind !== event.track.kind), event.track]))
    }
    pc.onicecandidate = (event) => {
      if (event.candidate === null || event.candidate.candidate === '') return
      void this.send(device, { kind: 'ice', candidate: event.candidate.candidate, mid: event.candidate.sdpMid, index: event.candidate.sdpMLineIndex })
    }
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') void this.checkFingerprint(device, pc)
    }
    return peer
  }

  private drop(device: PeerIdString): void {
    this.peers.get(device)?.pc.close()
    this.peers.delete(device)
    this.remotes.delete(device)
    this.stats.delete(device)
  }

  private async resend(): Promise<void> {
    await Promise.all([...this.peers.values()].map((p) => this.resendOn(p)))
  }

  /** A muted microphone or a camera turned off sends nothing: its sender carries no track. */
  private async resendOn(peer: Peer): Promise<void> {
    const tracks = this.local?.getTracks() ?? []
    await Promise.all(peer.senders.map(async (sender, i) => {
      const track = tracks[i]
      if (track === undefined) return
      const on = track.kind === 'audio' ? !this.muted : this.camera
      track.enabled = on
      // Off sends nothing; on sends this track (a newly chosen device's replaces the old one).
      if (sender.track !== (on ? track : null)) await sender.replaceTrack(on ? track : null)
    }))
  }

  /**
   * WebRTC already refuses a certificate other than the one the SDP names; this checks it again
   * against what came through the members-only signalling, and hangs up on a mismatch. On a
   * loaded machine the certificate's stats may come a little after "connected": a missing one
   * is asked for again, only a different one closes the connection.
   */
  private async checkFingerprint(device: PeerIdString, pc: RTCPeerConnection): Promise<void> {
    const expected = sdpFingerprint(pc.remoteDescription?.sdp ?? '')
    for (let i = 0; i < FINGERPRINT_TRIES && !this.closed && pc.connectionState === 'connected'; i++) {
      const report = await pc.getStats()
      const transport = [...report.values() as Iterable<{ type: string; remoteCertificateId?: string }>].find((s) => s.type === 'transport' && s.remoteCertificateId !== undefined)
      const presented = (transport?.remoteCertificateId === undefined ? undefined : report.get(transport.remoteCertificateId) as { fingerprint?: string } | undefined)?.fingerprint?.toUpperCase()
      if (presented !== undefined && expected !== null) {
        if (presented === expected) { this.checked.add(device); return }
        this.failed = 'fingerprint'
        this.drop(device)
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  private async readStats(): Promise<void> {
    let loudest: PeerIdString | null = null
    let level = SPEAKING_LEVEL
    for (const [device, { pc }] of this.peers) {
      const s: PeerStats = { framesDecoded: 0, audioPacketsReceived: 0, audioPacketsSent: 0, framesEncoded: 0, width: 0, height: 0, framesOpened: this.opened.get(device)?.opened ?? 0, framesRefused: this.opened.get(device)?.refused ?? 0, fingerprintChecked: this.checked.has(device) }
      const report = await pc.getStats()
      report.forEach((r: Record<string, unknown> & { type: string; kind?: string }) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') { s.framesDecoded = Number(r.framesDecoded ?? 0); s.width = Number(r.frameWidth ?? 0); s.height = Number(r.frameHeight ?? 0) }
        if (r.type === 'inbound-rtp' && r.kind === 'audio') {
          s.audioPacketsReceived = Number(r.packetsReceived ?? 0)
          const heard = Number(r.audioLevel ?? 0)
          if (heard > level) { level = heard; loudest = device }
        }
        if (r.type === 'outbound-rtp' && r.kind === 'audio') s.audioPacketsSent = Number(r.packetsSent ?? 0)
        if (r.type === 'outbound-rtp' && r.kind === 'video') s.framesEncoded = Number(r.framesEncoded ?? 0)
      })
      if (!this.closed && this.peers.has(device)) this.stats.set(device, s)
    }
    this.speaking = loudest
  }
}

/** VP8 first: the frame layout keeps its header bytes in the clear (frame-crypto.ts). */
function preferVp8(transceiver: RTCRtpTransceiver): void {
  const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs ?? []
  const vp8 = codecs.filter((c) => c.mimeType.toLowerCase() === 'video/vp8')
  if (vp8.length > 0) transceiver.setCodecPreferences([...vp8, ...codecs.filter((c) => c.mimeType.toLowerCase() !== 'video/vp8')])
}
