/**
 * Hosts several Enclave cores in one process for `bench:groups` (the issue allows at most five
 * processes for fifty members): each core gets its own data folder, a loopback libp2p address
 * and its own loopback API. Prints one JSON line per core, then, with `--echo`, the address of a
 * bare libp2p echo node for the raw baseline. Stops everything on SIGTERM.
 *
 * Usage: node group-host.js DIR... [--echo]
 */
import { appendFileSync } from 'node:fs'
import { basename } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createCore, type Core } from '../src/index.js'
import { serveLoopbackApi, type LoopbackApi } from '../src/api/ws-server.js'
import { createLogger } from '../src/logger.js'
import { createNetNode, type NetNode } from '../src/net/libp2p-node.js'

export const ECHO_PROTOCOL = '/enclave-bench/echo/1.0.0'

const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const log = createLogger('bench-host')
/**
 * BENCH_TRACE=name,name: the cores whose data folders were made under those names (`makeDataDir`)
 * log at debug to /tmp/bench-trace-NAME.log, for reading where a benchmark's time went.
 */
const traced = (process.env.BENCH_TRACE ?? '').split(',').filter((n) => n !== '')
const logFor = (dataDir: string): ReturnType<typeof createLogger> => {
  const name = traced.find((n) => basename(dataDir).startsWith(`enclave-${n}-`))
  if (name === undefined) return log.child('core')
  const file = `/tmp/bench-trace-${name}.log`
  return createLogger('core', { level: 'debug', write: (line) => { appendFileSync(file, line + '\n') } })
}
const cores: Array<{ core: Core; api: LoopbackApi }> = []
for (const dataDir of dirs) {
  const core = await createCore({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, log: logFor(dataDir) })
  const api = await serveLoopbackApi(core.api, log.child('api'))
  cores.push({ core, api })
  const info = core.info()
  process.stdout.write(JSON.stringify({ dataDir, peerId: info.peerId, address: info.addresses.find((a) => a.includes('/127.0.0.1/')), url: api.url, token: api.token }) + '\n')
}

let echo: NetNode | undefined
if (process.argv.includes('--echo')) {
  echo = await createNetNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  await echo.handle(ECHO_PROTOCOL, async (stream) => {
    for await (const chunk of stream) if (!stream.send(chunk)) await stream.onDrain()
  }, { maxInboundStreams: 256 })
  process.stdout.write(JSON.stringify({ echo: echo.getMultiaddrs()[0]?.toString() }) + '\n')
}
process.stdout.write('ready\n')

process.once('SIGTERM', () => {
  void (async () => {
    for (const { core, api } of cores) {
      await api.close()
      await core.stop()
    }
    await echo?.stop()
    process.exit(0)
  })()
})
