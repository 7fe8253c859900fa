import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createWriteStream, existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectApi } from '../../src/api/ws-client.js'
import type { ApiClient } from '../../src/api/api-client.js'
import { readEndpoint } from '../../src/cli/endpoint.js'
import { waitFor } from './wait.js'
import { killAtExit, stopChild } from './stop-child.js'
import type { PeerIdString } from '../../src/api/contract.js'

/** The repository root, found from this file whether it runs compiled (dist/test) or from source (Playwright). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const up = dirname(dir)
    if (up === dir) throw new Error('repository root not found')
    dir = up
  }
  return dir
}

const BIN = join(repoRoot(), 'bin', 'enclave.js')

export interface NodeProcess {
  readonly dataDir: string
  readonly child: ChildProcess
  api: ApiClient
  peerId: PeerIdString
  /** The node's loopback libp2p address, with /p2p/<id>. */
  address: string
  /** `serve` only: the browser link with this run's token. */
  appUrl: string | undefined
  /** Structured log lines the node wrote to stderr. */
  logs: Array<Record<string, unknown>>
  /** Everything the node printed to stdout so far (its banner and link). */
  stdout(): string
  /** Graceful stop (SIGTERM), waits for exit. */
  stop(): Promise<void>
  /** SIGKILL: a crash, no shutdown code runs. */
  kill(): Promise<void>
}

export async function makeDataDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `enclave-${name}-`))
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/**
 * Starts `enclave node` (or `enclave serve`, which adds the browser app) in its own process on
 * 127.0.0.1 without mDNS, and connects to its API.
 */
export async function startNode(dataDir: string, opts: { peers?: string[]; listen?: string[]; serve?: boolean; relay?: boolean; env?: Record<string, string>; args?: string[]; nodeArgs?: string[] } = {}): Promise<NodeProcess> {
  const command = opts.serve === true ? 'serve' : opts.relay === true ? 'relay' : 'node'
  // `nodeArgs` go to Node itself (`--cpu-prof` for a benchmark's profile).
  const args = [...(opts.nodeArgs ?? []), BIN, command, '--data', dataDir, '--no-mdns', ...(opts.args ?? [])]
  for (const l of opts.listen ?? ['/ip4/127.0.0.1/tcp/0']) args.push('--listen', l)
  for (const p of opts.peers ?? []) args.push('--peer', p)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ENCLAVE_LOG: 'debug', ...opts.env } })
  killAtExit(child)
  const logs: Array<Record<string, unknown>> = []
  const keep = keptLog(dataDir)
  // Log lines arrive on stderr (a relay writes them to stdout, after its plain banner).
  const collect = (stream: NodeJS.ReadableStream, onText?: (text: string) => void): void => {
    let tail = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      keep?.write(chunk)
      onText?.(chunk)
      tail += chunk
      const lines = tail.split('\n')
      tail = lines.pop() ?? ''
      for (const line of lines) {
        if (onText !== undefined && !line.startsWith('{')) continue
        try { logs.push(JSON.parse(line) as Record<string, unknown>) } catch { logs.push({ raw: line }) }
      }
    })
  }
  let stdout = ''
  collect(child.stderr)
  collect(child.stdout, (text) => { stdout += text })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  let exitedEarly = false
  void exited.then(() => { exitedEarly = true })

  const endpoint = await waitFor(`node in ${dataDir} to publish its API`, async () => {
    if (exitedEarly) throw new Error(`node exited early: ${JSON.stringify(logs.slice(-12))}`)
    const e = await readEndpoint(dataDir)
    return e.pid === child.pid ? e : undefined
  })
  const api = await connectApi(endpoint)
  const info = await api.call('node.info', {})
  const address = info.addresses.find((a) => a.includes('/ip4/127.0.0.1/'))
  if (address === undefined) throw new Error(`node has no loopback address: ${info.addresses.join(', ')}`)

  const finish = async (signal: NodeJS.Signals): Promise<void> => {
    api.close()
    await stopChild(child, exited, signal, `the node in ${dataDir}`, () => JSON.stringify(logs.slice(-8)))
  }
  const appUrl = opts.serve === true
    ? await waitFor('the app link', () => /Open Enclave: (\S+)/.exec(stdout)?.[1])
    : undefined
  return { dataDir, child, api, peerId: info.peerId, address, appUrl, logs, stdout: () => stdout, stop: () => finish('SIGTERM'), kill: () => finish('SIGKILL') }
}

/**
 * Awaits nodes started together. If one fails to start, the others are stopped before the error
 * is thrown: left running, their pipes kept the test file's process alive after its tests ended,
 * and the whole run hung until CI's time ran out.
 */
export async function startAll<T extends ReadonlyArray<Promise<NodeProcess>>>(starting: [...T]): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starting)
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed === undefined) return settled.map((r) => (r as PromiseFulfilledResult<NodeProcess>).value) as { [K in keyof T]: Awaited<T[K]> }
  await Promise.all(settled.map(async (r) => { if (r.status === 'fulfilled') await r.value.kill() }))
  throw failed.reason
}

/**
 * With ENCLAVE_TEST_LOGS=1 each node's whole output is appended to a file named for its data
 * folder under $TMPDIR/enclave-test-logs (kept after the folder is removed, across restarts), for
 * reading after a failure.
 */
function keptLog(dataDir: string): NodeJS.WritableStream | undefined {
  if (process.env.ENCLAVE_TEST_LOGS !== '1') return undefined
  const dir = join(tmpdir(), 'enclave-test-logs')
  mkdirSync(dir, { recursive: true })
  return createWriteStream(join(dir, `${basename(dataDir)}.log`), { flags: 'a' })
}

/** Dials every pair once: tests run without mDNS, so each device is told every other's address. */
export async function meshConnect(nodes: NodeProcess[]): Promise<void> {
  for (const [i, a] of nodes.entries()) {
    for (const b of nodes.slice(i + 1)) await a.api.call('peers.dial', { address: b.address })
  }
}
