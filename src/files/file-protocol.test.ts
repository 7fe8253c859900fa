import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import '../net/node-shims.js'
import { EnclaveError } from '../errors.js'
import { createMemoryLogger } from '../logger.js'
import { RawFrame, writeFrames } from '../net/frame-io.js'
import { askChunks, askHold, askManifest, serveFiles, type FileSource } from './file-protocol.js'
import type { ConversationId, PeerIdString } from '../api/contract.js'
import type { Connection } from '@libp2p/interface'

const CONV = `ch:${'c'.repeat(32)}` as ConversationId
const ROOT = new Uint8Array(32).fill(7)
/** Chunk 4 is bigger than a stream message, so it arrives in pieces and is gathered. */
const chunks = Array.from({ length: 5 }, (_, i) => (i === 3 ? undefined : new Uint8Array(randomBytes(i === 4 ? 300_000 : 1000 + i))))

/** A holder with chunks 0–4 but not 3, who serves only members of CONV. */
const holder: FileSource = {
  manifest: (_from, conv) => (conv === CONV ? Promise.resolve(new Uint8Array([1, 2, 3])) : Promise.reject(new EnclaveError('not-member', 'not a member of that conversation'))),
  chunks: async function * (_from, conv, _root, start, count) {
    if (conv !== CONV) throw new EnclaveError('not-member', 'not a member of that conversation')
    for (let i = start; i < Math.min(start + count, chunks.length); i++) yield await Promise.resolve({ index: i, bytes: chunks[i] })
  },
  hold: (_from, conv, _root, size, forDevices) => {
    holds.push([size, forDevices.length])
    return conv === CONV ? Promise.resolve() : Promise.reject(new EnclaveError('over-quota', 'this member has too many files waiting at the mailbox'))
  }
}
const holds: Array<[number, number]> = []

async function served(source: FileSource = holder): Promise<Awaited<ReturnType<typeof streamPair>>[0]> {
  const [asker, server] = await streamPair()
  const connection = { remotePeer: peerIdFromPrivateKey(await generateKeyPair('Ed25519')) } as unknown as Connection
  void serveFiles(server, connection, source, createMemoryLogger())
  return asker
}

test('a run of chunks arrives in order, with the ones the holder lacks marked as missing', async () => {
  const got: Array<[number, Uint8Array | undefined]> = []
  await askChunks(await served(), CONV, ROOT, 1, 4, (i, bytes) => { got.push([i, bytes === undefined ? undefined : Uint8Array.from(bytes)]); return Promise.resolve() })
  assert.deepEqual(got, [[1, chunks[1]], [2, chunks[2]], [3, undefined], [4, chunks[4]]])
  assert.deepEqual(await askManifest(await served(), CONV, ROOT), new Uint8Array([1, 2, 3]))
})

test('the holder\'s refusal reaches the asker with its code', async () => {
  const other = `ch:${'d'.repeat(32)}` as ConversationId
  await assert.rejects(askManifest(await served(), other, ROOT), { code: 'not-member' })
  await assert.rejects(askChunks(await served(), other, ROOT, 0, 2, () => Promise.resolve()), { code: 'not-member' })
})

test('a request for more than 16 chunks at once is refused as bad-frame', async () => {
  await assert.rejects(askChunks(await served(), CONV, ROOT, 0, 17, () => Promise.resolve()), { code: 'bad-frame' })
})

test('a holder sending chunks out of the run asked for is refused by the asker', async () => {
  const [asker, server] = await streamPair()
  void (async () => {
    for await (const _ of server) break
    await writeFrames(server, [{ i: 0, size: 10 }, new RawFrame(new Uint8Array(10)), { i: 9, size: 10 }, new RawFrame(new Uint8Array(10)), { end: true }])
  })()
  const got: number[] = []
  await assert.rejects(askChunks(asker, CONV, ROOT, 0, 2, (i) => { got.push(i); return Promise.resolve() }), { code: 'bad-frame', message: /out of the run/ })
  assert.deepEqual(got, [0])
})

test('a chunk whose bytes are not the size its header said is refused by the asker', async () => {
  const [asker, server] = await streamPair()
  void (async () => {
    for await (const _ of server) break
    await writeFrames(server, [{ i: 0, size: 10 }, new RawFrame(new Uint8Array(12)), { end: true }])
  })()
  const got: number[] = []
  await assert.rejects(askChunks(asker, CONV, ROOT, 0, 2, (i) => { got.push(i); return Promise.resolve() }), { code: 'bad-frame', message: /not the size/ })
  assert.deepEqual(got, [])
})

test('a mailbox asked to hold a file answers once it took room for it, and a refusal comes back with its code', async () => {
  const members = await Promise.all(Array.from({ length: 300 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() as PeerIdString))
  await askHold(await served(), CONV, ROOT, 5_000_000, members)
  assert.deepEqual(holds, [[5_000_000, 300]])
  await assert.rejects(askHold(await served(), `ch:${'d'.repeat(32)}` as ConversationId, ROOT, 1, members.slice(0, 1)), { code: 'over-quota' })
  await assert.rejects(askHold(await served(), CONV, ROOT, 1, ['not a device' as PeerIdString]), { code: 'bad-frame' })
})
