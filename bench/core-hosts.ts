/**
 * Headless Enclave cores hosted several to a process (`group-host.ts`) for the benchmarks that
 * need fifty members: starting hosts, waiting with a deadline, and making a workspace of them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { connectApi } from '../src/api/ws-client.js'
import type { ApiClient } from '../src/api/api-client.js'
import { workspaceChannelId } from '../src/identity/workspace-channel.js'
import type { ConversationId, PeerIdString, WorkspaceId } from '../src/api/contract.js'

const HOST = new URL('./group-host.js', import.meta.url).pathname

export const now = (): number => performance.now()

export interface HostedCore { dataDir: string; peerId: PeerIdString; address: string; url: string; token: string; api: ApiClient }
export interface Host { child: ChildProcess; cores: HostedCore[]; echo: string | undefined; stop(): Promise<void> }


export async function startHost(dirs: string[], echo: boolean): Promise<Host> {
  const child = spawn(process.execPath, ['--enable-source-maps', ...(process.env.BENCH_HOST_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), HOST, ...dirs, ...(echo ? ['--echo'] : [])], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ENCLAVE_LOG: 'warn' } })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const cores: Array<Omit<HostedCore, 'api'>> = []
  let echoAddress: string | undefined
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') { resolve(); return }
      const parsed = JSON.parse(line) as Omit<HostedCore, 'api'> & { echo?: string }
      if (parsed.echo !== undefined) echoAddress = parsed.echo
      else cores.push(parsed)
    })
    void exited.then(() => { reject(new Error('bench host exited early')) })
  })
  const connected = await Promise.all(cores.map(async (c) => ({ ...c, api: await connectApi(c) })))
  return {
    child,
    cores: connected,
    echo: echoAddress,
    stop: async () => {
      for (const c of connected) c.api.close()
      child.kill('SIGTERM')
      await exited
    }
  }
}

/**
 * Waits until `count()` reaches `target`, or has not moved for `quietMs` (then the rest is taken
 * as lost, not late). Returns the count and when it last moved, so a run that loses messages
 * still reports its timing and how many arrived instead of stalling.
 */
export async function untilSettled(count: () => number, target: number, quietMs: number): Promise<{ count: number; lastMovedAt: number }> {
  let last = count()
  let lastMovedAt = now()
  while (count() < target) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    if (count() !== last) { last = count(); lastMovedAt = now() }
    if (now() - lastMovedAt > quietMs) break
  }
  return { count: count(), lastMovedAt }
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`benchmark stalled waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Makes `owner` a workspace's owner and every other core a member of it. */
export async function workspaceOf(owner: HostedCore, others: HostedCore[]): Promise<WorkspaceId> {
  const ws = await owner.api.call('workspaces.create', { name: 'Bench' })
  for (const m of others) await joinWorkspace(owner, m, ws.id)
  return ws.id
}

/**
 * `member` joins `owner`'s workspace by a fresh invite. Setup, not measured: a host process
 * running a dozen cores can stay busy past the join's 15 s dial timeout on a loaded machine, so
 * a join that timed out is tried again (twice).
 */
export async function joinWorkspace(owner: HostedCore, member: HostedCore, workspaceId: WorkspaceId): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { link } = await owner.api.call('workspaces.invite', { workspaceId })
      await member.api.call('workspaces.join', { link })
      return
    } catch (err) {
      if (attempt === 3 || (err as { code?: unknown }).code !== 'peer-unreachable') throw err
      process.stderr.write(`bench setup: a join timed out (attempt ${attempt}); trying again\n`)
    }
  }
}

/**
 * Waits until every one of `cores` shows the workspace's own channel with `size` members: the
 * owner's commits for the last joins are carried out and taken, so what is measured next does
 * not share the machine with set-up still under way. After `timeoutMs` it says on stderr who
 * lags (and how) and returns: the measurement still runs, on a machine that may still be busy.
 */
export async function workspaceSettled(cores: HostedCore[], workspaceId: WorkspaceId, size: number, timeoutMs = 180_000): Promise<void> {
  const id = workspaceChannelId(workspaceId)
  const deadline = Date.now() + timeoutMs
  let lagging = cores
  while (lagging.length > 0) {
    const views = await Promise.all(lagging.map(async (m) => (await m.api.call('conversations.list', {})).find((x) => x.id === id)))
    lagging = lagging.filter((_, i) => { const v = views[i]; return v?.status !== 'active' || v.members.length !== size })
    if (lagging.length === 0) return
    if (Date.now() > deadline) {
      const shown = await Promise.all(lagging.map(async (m) => (await m.api.call('conversations.list', {})).find((x) => x.id === id)))
      process.stderr.write(`bench setup: ${lagging.length} of ${cores.length} cores do not show the workspace channel with ${size} members: ${shown.map((v, i) => `${lagging[i]?.peerId.slice(-6)} ${v === undefined ? 'none' : `${v.status}, ${v.members.length} members`}`).join('; ')}\n`)
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

export async function channelWith(owner: HostedCore, workspaceId: WorkspaceId, members: HostedCore[], name: string): Promise<ConversationId> {
  const ch = await owner.api.call('channels.create', { workspaceId, name, members: members.map((m) => m.peerId) })
  const size = members.length + 1
  for (const m of members) {
    await until(`${name} to reach every member`, async () => {
      const c = (await m.api.call('conversations.list', {})).find((x) => x.id === ch.id)
      return c?.status === 'active' && c.members.length === size
    })
  }
  return ch.id
}

