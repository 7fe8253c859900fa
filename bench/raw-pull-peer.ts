/**
 * Baseline holder for `bench:files`: a bare libp2p node (the core's transports, Noise, Yamux)
 * that answers a pull on RAW_PULL_PROTOCOL with N bytes in 1 MiB writes, honouring
 * backpressure, with none of Enclave's work (no store, no hashing, no framing). With `--tcp` it
 * is a plain TCP server instead (no libp2p at all). Prints its address as one JSON line.
 *
 * With `--pull ADDRESS N` it is the other end: pulls N bytes from ADDRESS and prints the time
 * taken, so both ends run in processes started with the configuration measured (Noise's cipher
 * from ENCLAVE_NOISE_CRYPTO, malloc variables in the environment).
 *
 * Usage: node raw-pull-peer.js [--tcp]   (the puller writes N as 8 bytes, big-endian)
 *        node raw-pull-peer.js --pull ADDRESS N
 */
import { createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNetNode } from '../src/net/libp2p-node.js'
import { noiseCryptoFromEnv } from '../src/net/noise-crypto.js'

export const RAW_PULL_PROTOCOL = '/enclave-bench/pull/1.0.0'
const BLOCK = new Uint8Array(1024 * 1024).fill(0x5a)

const netNode = async (): Promise<Awaited<ReturnType<typeof createNetNode>>> =>
  createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, noiseCrypto: noiseCryptoFromEnv() })

if (import.meta.url === `file://${process.argv[1]}`) {
  const pull = process.argv.indexOf('--pull')
  if (pull > 0) {
    const size = Number(process.argv[pull + 2])
    const node = await netNode()
    const stream = await node.dialProtocol(multiaddr(process.argv[pull + 1] ?? ''), RAW_PULL_PROTOCOL)
    const t0 = performance.now()
    const head = new Uint8Array(8)
    new DataView(head.buffer).setBigUint64(0, BigInt(size))
    stream.send(head)
    let got = 0
    for await (const chunk of stream) got += chunk.byteLength
    const ms = performance.now() - t0
    await node.stop()
    if (got !== size) throw new Error(`raw libp2p pull got ${got} of ${size} bytes`)
    process.stdout.write(JSON.stringify({ ms }) + '\n')
  } else if (process.argv.includes('--tcp')) {
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
    const node = await netNode()
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
