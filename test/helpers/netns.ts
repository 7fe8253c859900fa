/**
 * Hosts on one machine for tests of what crosses a network: Linux network namespaces joined by
 * veth pairs, with private addresses that exist only inside them. Nodes run inside with
 * `ip netns exec`; their loopback API is only reachable from inside too, so the CLI runs there.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { readEndpoint } from '../../src/cli/endpoint.js'
import { makeDataDir, removeDataDir, repoRoot } from './node-process.js'
import { killAtExit, stopChild } from './stop-child.js'
import { waitFor } from './wait.js'

const exec = promisify(execFile)
const BIN = join(repoRoot(), 'bin', 'enclave.js')

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args)
}

/** Why namespaces cannot be made here, or null when they can (root, iproute2, a kernel that allows it). */
export async function namespacesUnavailable(): Promise<string | null> {
  const probe = `encprobe${process.pid}`
  try {
    await ip('netns', 'add', probe)
    await ip('netns', 'del', probe)
    return null
  } catch (err) {
    return `cannot create network namespaces here (${(err as Error).message.split('\n')[0] ?? ''})`
  }
}

export interface Lab {
  /** The namespace's real name, for `ip netns exec`. */
  ns(name: string): string
  /** Joins two namespaces with a veth pair: `a` gets `addrA`, `b` gets `addrB` (CIDR). Returns the two interfaces' names. */
  link(a: string, addrA: string, b: string, addrB: string, opts?: { multicast?: boolean }): Promise<{ devA: string; devB: string }>
  /** Runs a command inside a namespace, e.g. `lab.run('n', 'iptables', …)`. */
  run(name: string, ...command: string[]): Promise<void>
  destroy(): Promise<void>
}

let labs = 0

export async function createLab(names: string[]): Promise<Lab> {
  // Unique per lab: a test file's labs live until its end, and they may reuse names.
  const tag = `e${process.pid % 100_000}x${labs++}`
  const real = (name: string): string => `${tag}${name}`
  const made: string[] = []
  let links = 0
  for (const name of names) {
    await ip('netns', 'add', real(name))
    made.push(real(name))
    await ip('-n', real(name), 'link', 'set', 'lo', 'up')
  }
  return {
    ns: real,
    link: async (a, addrA, b, addrB, opts = {}) => {
      // Interface names are made in the root namespace first: keep them unique and ≤ 15 bytes.
      const left = `${tag}l${links}`
      const right = `${tag}r${links}`
      links++
      await ip('link', 'add', left, 'type', 'veth', 'peer', 'name', right)
      await ip('link', 'set', left, 'netns', real(a))
      await ip('link', 'set', right, 'netns', real(b))
      for (const [ns, dev, addr] of [[a, left, addrA], [b, right, addrB]] as const) {
        await ip('-n', real(ns), 'addr', 'add', addr, 'dev', dev)
        await ip('-n', real(ns), 'link', 'set', dev, 'up')
        // mDNS needs a multicast route on the link (seen: without it nothing is sent).
        if (opts.multicast === true) await ip('-n', real(ns), 'route', 'add', '224.0.0.0/4', 'dev', dev)
      }
      return { devA: left, devB: right }
    },
    run: async (name, ...command) => { await exec('ip', ['netns', 'exec', real(name), ...command]) },
    destroy: async () => {
      for (const ns of made) await ip('netns', 'del', ns).catch(() => undefined)
    }
  }
}

/** The `enclave` command inside a namespace. Never throws. */
export async function enclaveIn(ns: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { env: { ...process.env, ENCLAVE_LOG: 'warn' } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

export async function jsonIn<T>(ns: string, ...args: string[]): Promise<T> {
  const r = await enclaveIn(ns, ...args, '--json')
  if (r.code !== 0) throw new Error(`enclave ${args.join(' ')} in ${ns} failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

export interface NsNode {
  readonly dataDir: string
  readonly child: ChildProcess
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** Starts `enclave <command> --data DIR …` inside a namespace and waits for its API. */
export async function startIn(ns: string, dataDir: string, args: string[], env: Record<string, string> = {}): Promise<NsNode> {
  // `ip netns exec` execs the command, so the child's pid is the node's.
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args, '--data', dataDir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ENCLAVE_LOG: process.env.ENCLAVE_TEST_LOGS === '1' ? 'debug' : 'warn', ...env } })
  killAtExit(child)
  let stderr = ''
  // ENCLAVE_TEST_LOGS=1 keeps each node's whole log in its data folder (node.log), for debugging.
  const keep = process.env.ENCLAVE_TEST_LOGS === '1' ? createWriteStream(join(dataDir, 'node.log')) : undefined
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4000); keep?.write(chunk) })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  let gone = false
  void exited.then(() => { gone = true })
  await waitFor(`node in ${ns} to publish its API`, async () => {
    if (gone) throw new Error(`node in ${ns} exited: ${stderr}`)
    const e = await readEndpoint(dataDir).catch(() => undefined)
    return e?.pid === child.pid
  })
  return {
    dataDir,
    child,
    kill: async (signal = 'SIGTERM') => { await stopChild(child, exited, signal, `the node in ${ns}`, () => stderr) }
  }
}

/** Why a namespace cannot NAT here (no iptables, or a kernel without NAT tables), or null. */
export async function natUnavailable(): Promise<string | null> {
  const probe = `encnat${process.pid}`
  try {
    await ip('netns', 'add', probe)
    await exec('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-L', '-n'], { env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } })
    return null
  } catch (err) {
    return `cannot NAT in a namespace here (${(err as Error).message.split('\n')[0] ?? ''}); npm test installs iptables with apt-get when run as root`
  } finally {
    await ip('netns', 'del', probe).catch(() => undefined)
  }
}

/** Why packets cannot be captured here (no tcpdump), or null. */
export async function captureUnavailable(): Promise<string | null> {
  try {
    await exec('sh', ['-c', 'command -v tcpdump'])
    return null
  } catch {
    return 'tcpdump is not installed (npm test installs it with apt-get when run as root)'
  }
}

/** Captures every packet on every interface of a namespace until `stop()`, which returns the bytes. */
export async function capture(ns: string, file: string): Promise<{ stop(): Promise<Buffer> }> {
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'any', '-U', '-s', '0', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  // tcpdump says "listening on …" once it captures.
  await waitFor('tcpdump to start capturing', () => stderr.includes('listening on'))
  return {
    stop: async () => {
      child.kill('SIGINT')
      await exited
      return readFile(file)
    }
  }
}

/**
 * What a netns test file makes and must take down at its end: labs, nodes and data folders.
 * With ENCLAVE_TEST_LOGS=1 the folders (and each node's node.log) are kept for reading.
 */
export function labScope(): {
  lab: (names: string[]) => Promise<Lab>
  dir: (name: string) => Promise<string>
  start: (ns: string, dataDir: string, args: string[], env?: Record<string, string>) => Promise<NsNode>
  /** A node that was killed on purpose and is not to be stopped again. */
  forget: (node: NsNode) => void
  cleanup: () => Promise<void>
} {
  const labs: Lab[] = []
  const nodes: NsNode[] = []
  const dirs: string[] = []
  return {
    lab: async (names) => { const lab = await createLab(names); labs.push(lab); return lab },
    dir: async (name) => { const d = await makeDataDir(name); dirs.push(d); return d },
    start: async (ns, dataDir, args, env) => { const node = await startIn(ns, dataDir, args, env); nodes.push(node); return node },
    forget: (node) => { nodes.splice(nodes.indexOf(node), 1) },
    cleanup: async () => {
      for (const n of nodes) await n.kill()
      for (const lab of labs) await lab.destroy()
      if (process.env.ENCLAVE_TEST_LOGS !== '1') await Promise.all(dirs.map(removeDataDir))
    }
  }
}

/**
 * A wait whose timeout also says which connections `who` (a node in `ns`) failed to make, and
 * why: in a test across namespaces that is what explains a message that did not get through.
 */
export async function explained<T>(wait: Promise<T>, ns: string, dataDir: string, who: string): Promise<T> {
  try {
    return await wait
  } catch (err) {
    const health = await jsonIn<{ failures: unknown[] }>(ns, 'relay', 'status', '--data', dataDir).catch(() => ({ failures: ['(its status could not be read)'] }))
    // And whom it holds, how, and at which addresses: a wait that never saw a dial needs that.
    const peers = await jsonIn<unknown[]>(ns, 'peers', '--data', dataDir).catch(() => ['(its peers could not be read)'])
    throw new Error(`${(err as Error).message}; ${who}'s recent connection failures: ${JSON.stringify(health.failures)}; its peers: ${JSON.stringify(peers)}`, { cause: err })
  }
}
