/**
 * Baseline peer for the chat benchmark: a bare libp2p node (same transports, Noise, Yamux as the
 * core) behind a loopback WebSocket, so a raw message takes the same hops as an Enclave one:
 * bench → WebSocket → this process → libp2p → the other raw peer → WebSocket → bench, with none of
 * Enclave's work (MLS, store, acks) on the way. Prints `{ address, ws }` as one JSON line.
 *
 * Frames are RAW_FRAME_BYTES long; the first byte says what the receiving peer does with it:
 * RAW_ONE_WAY hands it to its WebSocket client, RAW_ECHO sends it back to the sender, whose peer
 * hands it to its client. A text message `dial <multiaddr>` opens the stream to the other peer.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { WebSocketServer, type WebSocket } from 'ws'
import { createNetNode } from '../src/net/libp2p-node.js'
import type { Stream } from '@libp2p/interface'

export const RAW_PROTOCOL = '/enclave-bench/raw/1.0.0'
/** A 100-byte text plus a little framing, like the chat bench's messages before encryption. */
export const RAW_FRAME_BYTES = 128
export const RAW_ONE_WAY = 1
export const RAW_ECHO = 2

/** Cuts a stream's chunks into fixed-size frames (chunks follow Yamux, not our frames). */
async function * frames(stream: Stream): AsyncGenerator<Uint8Array> {
  let pending = new Uint8Array(0)
  for await (const chunk of stream) {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    const joined = new Uint8Array(pending.byteLength + bytes.byteLength)
    joined.set(pending)
    joined.set(bytes, pending.byteLength)
    let at = 0
    for (; at + RAW_FRAME_BYTES <= joined.byteLength; at += RAW_FRAME_BYTES) yield joined.subarray(at, at + RAW_FRAME_BYTES)
    pending = joined.slice(at)
  }
}

async function send(stream: Stream, frame: Uint8Array): Promise<void> {
  if (!stream.send(frame)) await stream.onDrain()
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => { resolve() }))
  let client: WebSocket | undefined
  let outbound: Stream | undefined
  const toClient = (frame: Uint8Array): void => { client?.send(frame) }

  await node.handle(RAW_PROTOCOL, async (stream) => {
    for await (const frame of frames(stream)) {
      if (frame[0] === RAW_ECHO) await send(stream, frame)
      else toClient(frame)
    }
  })
  wss.on('connection', (ws) => {
    client = ws
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data
      if (!isBinary) {
        const address = bytes.toString('utf8').replace(/^dial /, '')
        void node.dialProtocol(multiaddr(address), RAW_PROTOCOL).then(async (stream) => {
          outbound = stream
          ws.send('ok')
          // Echoes come back on the stream this side opened.
          for await (const frame of frames(stream)) toClient(frame)
        })
        return
      }
      if (outbound !== undefined) void send(outbound, new Uint8Array(bytes))
    })
  })
  const port = (wss.address() as { port: number }).port
  process.stdout.write(JSON.stringify({ address: node.getMultiaddrs()[0]?.toString() ?? '', ws: `ws://127.0.0.1:${port}` }) + '\n')
  process.on('SIGTERM', () => { wss.close(); void Promise.resolve(node.stop()).then(() => process.exit(0)) })
}
