/**
 * Baseline holder for `bench:files`: a bare libp2p node (the core's transports, Noise, Yamux)
 * that answers a pull on RAW_PULL_PROTOCOL with N bytes in 1 MiB writes, honouring
 * backpressure, with none of Enclave's work (no store, no hashing, no framing). With `--tcp` it
 * is a plain TCP server instead (no libp2p at all). Prints its address as one JSON line.
 *
 * Usage: node raw-pull-peer.js [--tcp]   (the puller writes N as 8 bytes, big-endian)
 */
import { createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNetNode } from '../src/net/libp2p-node.js'

export const RAW_PULL_PROTOCOL = '/enclave-bench/pull/1.0.0'
const BLOCK = new Uint8Array(1024 * 1024).fill(0x5a)

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--tcp')) {
    const server = createServer((socket) => {
      socket.once('data', (head) => {
        let left = Number(head.readBigUInt64BE(0))
        const more = (): void => {
          while (left > 0) {
            const n = Math.min(left, BLOCK.byteLength)
            left -= n
            if (!socket.write(BLOCK.subarray(0, n))) { socket.once('drain', more); return }
          }
          socket.end()
        }
        more()
      })
    })
    server.listen(0, '127.0.0.1', () => { process.stdout.write(JSON.stringify({ tcp: (server.address() as { port: number }).port }) + '\n') })
    process.on('SIGTERM', () => { server.close(); process.exit(0) })
  } else {
    const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    await node.handle(RAW_PULL_PROTOCOL, async (stream) => {
      let left = 0
      for await (const chunk of stream) {
        left = Number(new DataView(chunk.subarray().buffer, chunk.subarray().byteOffset).getBigUint64(0))
        break
      }
      while (left > 0) {
        const n = Math.min(left, BLOCK.byteLength)
        left -= n
        if (!stream.send(BLOCK.subarray(0, n))) await stream.onDrain()
      }
      await stream.close()
    })
    process.stdout.write(JSON.stringify({ address: node.getMultiaddrs()[0]?.toString() ?? '' }) + '\n')
    process.on('SIGTERM', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })
  }
}
