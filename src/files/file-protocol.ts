import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { idSchema, parseConversationId, parseDeviceText } from '../ids.js'
import { RawFrame } from '../net/frame-io.js'
import { ask, parseWith, serveRequest } from '../net/request-reply.js'
import { HASH_BYTES } from './file-seal.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * `/enclave/files/2.0.0` (docs/protocol.md, Files): a member asks a holder for a file's manifest
 * or a run of its chunks, naming the conversation the file was shared in. The holder serves the
 * sealed chunks as they lie on disk: no crypto on its side, the asker checks each against the
 * manifest, and the manifest against the root its MLS message gave. A chunk's bytes travel as a
 * raw frame after a small CBOR header (1.0.0 wrapped them in CBOR: two copies a side per chunk).
 */
export const FILES_PROTOCOL = '/enclave/files/2.0.0'

/** Chunks one request may ask for: a run big enough to keep a fast link busy, small enough to spread over sources. */
export const MAX_RUN = 16
/** A reply frame: one sealed chunk (up to 16 MiB of plaintext, as the manifest allows) with its framing. */
export const MAX_CHUNK_FRAME_BYTES = 16 * 1024 * 1024 + 1024
const MANIFEST_FRAME_BYTES = 3 * 1024 * 1024

/** Devices a mailbox may hold one file for: a conversation's members. */
export const MAX_HOLD_FOR = 5000
/** A hold request names that many devices; any other request is far smaller. */
const MAX_REQUEST_BYTES = MAX_HOLD_FOR * 64 + 1024

const root = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === HASH_BYTES, 'a SHA-256 root')
const request = z.union([
  z.object({ conv: idSchema(parseConversationId), root, manifest: z.literal(true) }).strict(),
  z.object({ conv: idSchema(parseConversationId), root, hold: z.object({ size: z.number().int().min(0).max(2 ** 53), for: z.array(idSchema(parseDeviceText)).min(1).max(MAX_HOLD_FOR) }).strict() }).strict(),
  z.object({ conv: idSchema(parseConversationId), root, from: z.number().int().min(0).max(2 ** 31), count: z.number().int().min(1).max(MAX_RUN) }).strict()
])
export type FileRequest = z.infer<typeof request>

/** One reply frame to a run: a chunk's header (`size` bytes follow as a raw frame), or `miss` where this holder lacks it. */
const chunkFrame = z.union([
  z.object({ i: z.number().int().min(0), size: z.number().int().min(1).max(MAX_CHUNK_FRAME_BYTES) }).strict(),
  z.object({ i: z.number().int().min(0), miss: z.literal(true) }).strict(),
  z.object({ end: z.literal(true) }).strict()
])
const okFrame = z.object({ ok: z.literal(true) }).strict()
const manifestFrame = z.object({ m: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'manifest bytes') }).strict()

export interface FileSource {
  /** The manifest of a file shared in `conv`, if `from` may have it and this device holds it; throws `not-found` / `not-member` otherwise. */
  manifest(from: PeerIdString, conv: ConversationId, root: Uint8Array): Promise<Uint8Array>
  /** The sealed chunks `[start, start + count)` this device holds, in order (undefined where it lacks one); checks like `manifest`. */
  chunks(from: PeerIdString, conv: ConversationId, root: Uint8Array, start: number, count: number): AsyncIterable<{ index: number; bytes: Uint8Array | undefined }>
  /** At a mailbox: `from` asks it to hold a file for `forDevices` (it then fetches the file from `from`); throws `over-quota`, or `not-found` where this device is no mailbox. */
  hold(from: PeerIdString, conv: ConversationId, root: Uint8Array, size: number, forDevices: PeerIdString[]): Promise<void>
}

export async function serveFiles(stream: Stream, connection: Connection, source: FileSource, log: Logger): Promise<void> {
  await serveRequest<FileRequest>(stream, connection, {
    log,
    name: 'files',
    maxRequestBytes: MAX_REQUEST_BYTES,
    parse: parseWith(request, 'files request'),
    quiet: ['not-found'],
    handle: async (from, req, exchange) => {
      if ('manifest' in req) return [{ m: await source.manifest(from, req.conv, req.root) }]
      if ('hold' in req) {
        await source.hold(from, req.conv, req.root, req.hold.size, req.hold.for)
        return [{ ok: true }]
      }
      for await (const { index, bytes } of source.chunks(from, req.conv, req.root, req.from, req.count)) {
        // One frame at a time: `send` waits while the stream's buffer is full (backpressure).
        await exchange.send(bytes === undefined ? [{ i: index, miss: true }] : [{ i: index, size: bytes.byteLength }, new RawFrame(bytes)])
      }
      return [{ end: true }]
    }
  })
}

/** Asks a mailbox to hold a file for the devices in `forDevices`; resolves once it has taken room for it. */
export async function askHold(stream: Stream, conv: ConversationId, rootHash: Uint8Array, size: number, forDevices: PeerIdString[]): Promise<void> {
  await ask(stream, { conv, root: rootHash, hold: { size, for: forDevices } }, { maxReplyBytes: 1024 }, async (exchange) => parseWith(okFrame, 'hold reply')(await exchange.next()))
}

export async function askManifest(stream: Stream, conv: ConversationId, rootHash: Uint8Array): Promise<Uint8Array> {
  return ask(stream, { conv, root: rootHash, manifest: true }, { maxReplyBytes: MANIFEST_FRAME_BYTES }, async (exchange) => parseWith(manifestFrame, 'manifest frame')(await exchange.next()).m)
}

/**
 * Asks for a run of chunks; `take` gets each as it arrives (in order, `undefined` where the holder
 * lacks it) and may throw to stop. A holder sending chunks out of the run or out of order is refused.
 */
export async function askChunks(stream: Stream, conv: ConversationId, rootHash: Uint8Array, from: number, count: number, take: (index: number, bytes: Uint8Array | undefined) => Promise<void>): Promise<void> {
  await ask(stream, { conv, root: rootHash, from, count }, { maxReplyBytes: MAX_CHUNK_FRAME_BYTES }, async (exchange) => {
    let expect = from
    const parse = parseWith(chunkFrame, 'chunk frame')
    for (;;) {
      const frame = parse(await exchange.next())
      if ('end' in frame) return
      if (frame.i !== expect || expect >= from + count) throw new EnclaveError('bad-frame', `chunk ${frame.i} out of the run asked for`)
      expect++
      if ('miss' in frame) { await take(frame.i, undefined); continue }
      const bytes = await exchange.nextRaw()
      if (bytes.byteLength !== frame.size) throw new EnclaveError('bad-frame', `chunk ${frame.i} is not the size its header said`)
      await take(frame.i, bytes)
    }
  })
}
