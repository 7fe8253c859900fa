/**
 * Baseline peer for the chat benchmark: a bare libp2p node (same transports, Noise, Yamux as
 * the core) that echoes length-prefixed frames on one protocol. Prints its address and waits.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNetNode } from '../src/net/libp2p-node.js'

const ECHO_PROTOCOL = process.argv[2] ?? '/enclave-bench/echo/1.0.0'

const node = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
await node.handle(ECHO_PROTOCOL, async (stream) => {
  // Echo whatever arrives, chunk by chunk: frame boundaries are the client's business.
  for await (const chunk of stream) {
    if (!stream.send(chunk)) await stream.onDrain()
  }
})
process.stdout.write(`${node.getMultiaddrs()[0]?.toString() ?? ''}\n`)
process.on('SIGTERM', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })
