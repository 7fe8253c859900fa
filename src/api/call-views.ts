/**
 * The API's views of voice and video calls: part of the contract (which re-exports them), kept
 * in a file of their own to keep contract.ts readable.
 */
import type { Brand, ConversationId, PeerIdString } from './api-ids.js'

/** 32 hex digits, made by the device that started the call. */
export type CallId = Brand<string, 'CallId'>

/**
 * This device's part in a call:
 * - `ringing`: a member started it and this device has not answered;
 * - `joined`: this device is in it (media flows through the shell's peer connections);
 * - `elsewhere`: another device of this person answered;
 * - `declined`, `missed` (rang out unanswered), `left`, `ended` (everyone left).
 */
export type CallState = 'ringing' | 'joined' | 'elsewhere' | 'declined' | 'missed' | 'left' | 'ended'

export interface CallParticipantView {
  device: PeerIdString
  muted: boolean
  camera: boolean
}

export interface CallView {
  id: CallId
  conversationId: ConversationId
  /** Started as a video call (a voice call may still turn a camera on). */
  video: boolean
  /** The device that started it. */
  startedBy: PeerIdString
  startedAt: number
  state: CallState
  /** Devices in the call now, this one included when it is `joined`. */
  participants: CallParticipantView[]
  /** Members who turned it down as busy (in another call). */
  busy: PeerIdString[]
}

/**
 * A call's frame key: the MLS exporter of the conversation's group at `epoch` for this call.
 * Shells derive a key per sender from it and encrypt every audio and video frame; a new epoch
 * (someone joined or left the conversation), or another of the conversation's groups becoming
 * the current one, brings a new one in `calls.keyChanged`.
 */
export interface CallKeyView {
  callId: CallId
  epoch: number
  /** Base64 of 32 bytes. */
  secret: string
}

/** What the shells exchange to connect their media, carried by the cores (MLS members only). */
export type CallSignal =
  | { kind: 'offer' | 'answer'; sdp: string }
  | { kind: 'ice'; candidate: string; mid: string | null; index: number | null }
