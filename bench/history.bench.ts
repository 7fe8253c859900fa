/**
 * `npm run bench:devices`, second part (issue 18): history to a newly linked device. Alice's
 * desktop holds 100,000 messages in 16 channels she shares with Bob (written into its store, as
 * history from before the laptop); her new laptop is linked by code, is added to the channels by
 * their committer and brings their history from the desktop over /enclave/history/1.0.0. Measured
 * from Alice's "yes": until the laptop shows the newest 50 messages of every channel (usable;
 * target ≤ 10 s), and until it holds every message (messages/s), next to pulling the same number
 * of bytes over a raw libp2p stream between two bare nodes in the same run. Cores run in their own
 * processes (bench/group-host.ts), on loopback.
 *
 * BENCH_HISTORY_MESSAGES changes the size.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encode as cborEncode } from 'cborg'
import { createMessageLog, type StoredMessage } from '../src/chat/message-log.js'
import { channelWith, now, startHost, until, untilSettled, workspaceOf } from './core-hosts.js'
import { nodeDataKey, openNodeStore } from './node-store.js'
import { printTable, prng, writeResults, type Row } from './stats.js'
import type { ConversationId, LinkRequestView, PeerIdString } from '../src/api/contract.js'

const MESSAGES = Number(process.env.BENCH_HISTORY_MESSAGES ?? 100_000)
// Set-up adds Bob to each: a device hands a committer 20 key packages a minute.
const CHANNELS = 16
const USABLE = 50
const PULL_PEER = new URL('./raw-pull-peer.js', import.meta.url).pathname
const WORDS = 'the quarterly budget review 会议 项目 进度 客户 合同 release plan deploy 部署 上线 测试 thanks please check update'.split(' ')
const random = prng(19)

/** History from before the laptop, written into the desktop's store while its core is stopped; returns its bytes as they travel. */
async function seedHistory(dataDir: string, channels: ConversationId[], authors: PeerIdString[]): Promise<number> {
  const store = await openNodeStore(dataDir, await nodeDataKey(dataDir))
  const messages = await createMessageLog(store)
  const t0 = Date.now() - 365 * 24 * 3600_000
  let bytes = 0
  for (let i = 0; i < MESSAGES; i += 2_000) {
    const batch = store.batch()
    for (let j = i; j < Math.min(MESSAGES, i + 2_000); j++) {
      const conv = channels[j % channels.length] as ConversationId
      const author = authors[j % authors.length] as PeerIdString
      const text = Array.from({ length: 5 + Math.floor(random() * 20) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')
      // Numbers far above the few the channel's set-up used, clocks a year back: older than anything live.
      const msg: StoredMessage = { conv, author, seq: 1_000 + j, hlc: (t0 + j * 60_000) * 1000, text, state: 'received', mine: false }
      messages.append(batch, msg, { countUnread: false })
      bytes += cborEncode({ p: { type: 'text', conv, author, seq: msg.seq, hlc: msg.hlc, text }, ops: [] }).byteLength
    }
    await batch.write()
  }
  await store.close()
  return bytes
}

/** Pulls `bytes` over a raw libp2p stream between two bare nodes (the core's transports, Noise, Yamux): the floor for the same bytes. */
async function rawPull(bytes: number): Promise<number> {
  const server = spawn(process.execPath, [PULL_PEER], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const address = await new Promise<string>((resolve, reject) => {
      server.stdout.once('data', (line: Buffer) => { resolve((JSON.parse(line.toString()) as { address: string }).address) })
      server.once('exit', () => { reject(new Error('raw pull peer exited')) })
    })
    const puller = spawn(process.execPath, [PULL_PEER, '--pull', address, String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] })
    const out = await new Promise<string>((resolve) => { let s = ''; puller.stdout.on('data', (d: Buffer) => { s += d.toString() }); puller.once('exit', () => { resolve(s) }) })
    return (JSON.parse(out) as { ms: number }).ms
  } finally {
    server.kill('SIGTERM')
  }
}

const root = await mkdtemp(join(tmpdir(), 'enclave-bench-history-'))
try {
  const [deskDir, bobDir, laptopDir] = ['desk', 'bob', 'laptop'].map((n) => join(root, n)) as [string, string, string]
  process.stdout.write(`setting up Alice's desktop and Bob with ${CHANNELS} channels…\n`)
  let host = await startHost([deskDir, bobDir], false)
  const [desk0, bob0] = host.cores
  if (desk0 === undefined || bob0 === undefined) throw new Error('two cores were started')
  const ws = await workspaceOf(desk0, [bob0])
  process.stdout.write('  workspace made\n')
  const channels: ConversationId[] = []
  for (let i = 0; i < CHANNELS; i++) channels.push(await channelWith(desk0, ws, [bob0], `history-${i}`))
  process.stdout.write('  channels made\n')
  const authors = [desk0.peerId, bob0.peerId]
  await host.stop()
  process.stdout.write(`writing ${MESSAGES.toLocaleString('en-US')} messages of history into the desktop's store…\n`)
  const wireBytes = await seedHistory(deskDir, channels, authors)

  host = await startHost([deskDir, bobDir], false)
  const laptopHost = await startHost([laptopDir], false)
  try {
    const desk = host.cores[0]
    const laptop = laptopHost.cores[0]
    if (desk === undefined || laptop === undefined) throw new Error('the cores were started')
    const requests: LinkRequestView[] = []
    desk.api.on('devices.linkRequest', (r) => { requests.push(r) })
    let imported = 0
    laptop.api.on('chat.historyImported', (e) => { imported += e.count })
    const { code } = await desk.api.call('devices.linkCode', {})
    const linking = laptop.api.call('devices.link', { code })
    await until('the desktop to be asked', () => requests.some((r) => r.state === 'waiting'))
    const asked = requests.find((r) => r.state === 'waiting')
    if (asked === undefined) throw new Error('no link request')
    process.stdout.write('linking the laptop and bringing the history over…\n')
    const t0 = now()
    await desk.api.call('devices.confirmLink', { requestId: asked.requestId, accept: true })
    await linking
    const linkedMs = now() - t0
    await until('the newest 50 of every channel on the laptop', async () => {
      const active = new Set((await laptop.api.call('conversations.list', {})).filter((c) => c.status === 'active').map((c) => c.id))
      for (const conversationId of channels) if (!active.has(conversationId) || (await laptop.api.call('chat.history', { conversationId, limit: USABLE })).length < USABLE) return false
      return true
    }, 300_000)
    const usableMs = now() - t0
    const settled = await untilSettled(() => imported, MESSAGES, 30_000)
    const allMs = settled.lastMovedAt - t0
    const rawMs = await rawPull(wireBytes)

    const perS = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} messages/s`
    const rows: Row[] = [
      { metric: `linked (code confirmed → the laptop in Alice's workspace)`, enclave: `${(linkedMs / 1000).toFixed(1)} s`, baseline: '', target: '', met: '' },
      { metric: `usable: the newest ${USABLE} of all ${CHANNELS} channels`, enclave: `${(usableMs / 1000).toFixed(1)} s`, baseline: '', target: '≤ 10 s', met: usableMs <= 10_000 ? 'yes' : 'no' },
      { metric: `all ${MESSAGES.toLocaleString('en-US')} messages (${(wireBytes / 1048576).toFixed(1)} MiB as sent)`, enclave: `${(allMs / 1000).toFixed(1)} s, ${perS(settled.count, allMs)}`, baseline: `raw libp2p pull of the same bytes ${(rawMs / 1000).toFixed(2)} s`, target: '', met: settled.count === MESSAGES ? '' : `only ${settled.count} arrived` }
    ]
    printTable('History to a newly linked device (issue 18)', rows)
    await writeResults('history', { messages: MESSAGES, channels: CHANNELS, wireBytes, ms: { linked: linkedMs, usable: usableMs, all: allMs, rawPull: rawMs }, arrived: settled.count })
  } finally {
    await laptopHost.stop()
    await host.stop()
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
