/// <reference lib="webworker" />
/**
 * The call's frame transforms (RTCRtpScriptTransform): every outgoing audio and video frame is
 * sealed with this device's frame key, every incoming one opened with its sender's; a frame that
 * does not open (no key yet, a wrong or old key, changed bytes) is dropped, never decoded.
 * Keys arrive from the window: `{ type: 'key', epoch, secret }` whenever the call's key changes
 * (a new epoch, or another of the conversation's groups); frames name theirs by one byte of its hash.
 */
import { clearBytes, decryptFrame, encryptFrame, frameKeyIndex, ivSource, keyIndex, senderKey } from './frame-crypto'

/** What the window gives each transform. */
export interface TransformOptions { role: 'encrypt' | 'decrypt'; sender: string }
export interface WorkerMessage { type: 'key'; epoch: number; secret: Uint8Array<ArrayBuffer> }
/** What the worker tells the window: a sender's frames that opened, and those dropped because they did not. */
export interface WorkerReport { type: 'counts'; sender: string; opened: number; refused: number }

interface EncodedFrame { data: ArrayBuffer; type?: 'key' | 'delta' | 'empty' }
interface Transformer { readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame>; options: TransformOptions }

/** A sender switches to a new key this long after it arrives, so receivers have it by then. */
const SWITCH_MS = 1_000
/** Keys kept for frames still in flight (a key is replaced when an epoch moves or the group does). */
const KEPT_KEYS = 3

/** A call key as the window gave it, with the index byte its frames carry. */
interface CallKey { index: number; secret: Uint8Array<ArrayBuffer>; senders: Map<string, Promise<CryptoKey>> }

/** Newest last. */
const held: CallKey[] = []
let sending: CallKey | null = null
const counts = new Map<string, { opened: number; refused: number }>()

function keyOf(k: CallKey, sender: string): Promise<CryptoKey> {
  let key = k.senders.get(sender)
  if (key === undefined) { key = senderKey(k.secret, sender); k.senders.set(sender, key) }
  return key
}

self.onmessage = async (event: MessageEvent<WorkerMessage>) => {
  const { secret } = event.data
  const index = await keyIndex(secret)
  if (held.some((k) => k.index === index && k.secret.every((b, i) => b === secret[i]))) return
  const k: CallKey = { index, secret, senders: new Map() }
  held.push(k)
  held.splice(0, Math.max(0, held.length - KEPT_KEYS))
  if (sending === null) sending = k
  else setTimeout(() => { if (held.includes(k)) sending = k }, SWITCH_MS)
}

/** Opens a frame with the key its index names, or any other kept key (indexes may collide). */
async function open(data: Uint8Array<ArrayBuffer>, clear: number, sender: string): Promise<Uint8Array<ArrayBuffer> | null> {
  const index = frameKeyIndex(data, clear)
  if (index === null) return null
  for (const k of [...held].sort((a, b) => Number(b.index === index) - Number(a.index === index))) {
    const plain = await decryptFrame(data, clear, await keyOf(k, sender))
    if (plain !== null) return plain
  }
  return null
}

/** Frames opened and refused per sender, told to the window now and then (the call's details show them). */
function count(sender: string, ok: boolean): void {
  const c = counts.get(sender) ?? { opened: 0, refused: 0 }
  if (ok) c.opened++
  else c.refused++
  counts.set(sender, c)
  const n = c.opened + c.refused
  if (n === 1 || n % 25 === 0 || (!ok && c.refused === 1)) self.postMessage({ type: 'counts', sender, opened: c.opened, refused: c.refused } satisfies WorkerReport)
}

function transform({ role, sender }: TransformOptions): TransformStream<EncodedFrame, EncodedFrame> {
  const nextIv = ivSource()
  return new TransformStream({
    transform: async (frame, controller) => {
      const data = new Uint8Array(frame.data)
      if (data.byteLength === 0) { controller.enqueue(frame); return }
      const clear = clearBytes(frame.type ?? 'audio')
      if (role === 'encrypt') {
        // No key yet: the frame is not sent at all rather than sent in the clear.
        const k = sending
        if (k === null) return
        frame.data = (await encryptFrame(data, clear, await keyOf(k, sender), k.index, nextIv())).buffer
        controller.enqueue(frame)
        return
      }
      const plain = await open(data, clear, sender)
      count(sender, plain !== null)
      if (plain === null) return
      frame.data = plain.buffer
      controller.enqueue(frame)
    }
  })
}

// Chromium and Electron: one event per RTCRtpScriptTransform made with this worker.
;(self as unknown as { onrtctransform: (event: { transformer: Transformer }) => void }).onrtctransform = (event) => {
  const { transformer } = event
  transformer.readable.pipeThrough(transform(transformer.options)).pipeTo(transformer.writable).catch(() => undefined)
}
