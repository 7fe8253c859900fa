/**
 * `npm run bench:search` (issue 17): the sealed search index over 1,000,000 messages (70 %
 * Chinese, 30 % English, generated deterministically) in 50 conversations over a year. A store
 * as an older Enclave left it (messages, no index) is written first; then the index is built from
 * it as on upgrade (rate, size on disk, RSS), queries of each class are timed (the index proposes,
 * the stored message confirms, as `search.query` does), next to a naive scan of the same store
 * (decrypt every message, fold, match) in the same run. Then opening a hit in context, and live
 * indexing at 1,000 messages/s against the same appends without an index.
 */
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { ClassicLevel } from 'classic-level'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { createMessageSearch, historySource, indexOnAppend } from '../src/chat/message-search.js'
import { createAnnotationLog } from '../src/chat/annotation-log.js'
import { createMessageLog, type MessageLog, type StoredMessage } from '../src/chat/message-log.js'
import { fold } from '../src/search/fold.js'
import { openSearchIndex } from '../src/search/search-index.js'
import { matchesAll, queryTerms } from '../src/search/terms.js'
import { createLogger } from '../src/logger.js'
import { openStore, type Store } from '../src/store/store.js'
import { printTable, prng, summarize, writeResults, type Row, type Summary } from './stats.js'
import type { ConversationId, MessageSearchInput, PeerIdString } from '../src/api/contract.js'

const MESSAGES = Number(process.env.BENCH_SEARCH_MESSAGES ?? 1_000_000)
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 200)
const SCANS = Number(process.env.BENCH_SEARCH_SCANS ?? 3)
const LIVE = Number(process.env.BENCH_SEARCH_LIVE ?? 10_000)
const CONVERSATIONS = 50
const AUTHORS = 40
const YEAR_MS = 365 * 24 * 3600_000
const T0 = Date.UTC(2025, 11, 1)

const random = prng(17)
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() ** 2 * list.length)] as T

const ZH_WORDS = ('我们 今天 明天 会议 项目 预算 评审 客户 合同 进度 需求 测试 上线 版本 问题 方案 设计 数据 系统 用户 产品 市场 销售 财务 报告 ' +
  '周报 计划 目标 团队 同事 部门 经理 老板 审批 报销 出差 培训 招聘 面试 入职 离职 工资 绩效 考核 季度 年度 总结 安排 时间 地点 下午 上午 晚上 ' +
  '已经 完成 处理 确认 通知 发送 收到 附件 文件 链接 更新 修改 删除 提交 检查 沟通 协调 支持 帮助 谢谢 好的 没问题 辛苦 大家 一下 这个 那个 ' +
  '可以 需要 应该 如果 因为 所以 但是 还是 或者 还有 什么 怎么 为什么 哪里 多少 服务器 数据库 接口 文档 代码 部署 故障 监控 告警 优化 性能').split(' ')
const EN_WORDS = ('the a to and of in for is on that with we it this be at are have from as will please can meeting project budget review customer contract ' +
  'schedule release version issue design data system user product market sales finance report weekly plan goal team department manager approve ' +
  'expense travel training hiring interview payroll quarter annual summary today tomorrow afternoon morning done update change delete submit check ' +
  'support thanks sure server database interface document code deploy incident monitor alert performance latency throughput roadmap launch ' +
  'invoice vendor onboarding offsite planning retrospective standup sprint backlog ticket priority deadline feedback proposal migration').split(' ')

function chineseText(): string {
  const n = 3 + Math.floor(random() * 10)
  let out = ''
  for (let i = 0; i < n; i++) out += pick(ZH_WORDS) + (random() < 0.15 ? '，' : '')
  return out + (random() < 0.5 ? '。' : '')
}
function englishText(): string {
  const n = 4 + Math.floor(random() * 14)
  const words = Array.from({ length: n }, () => pick(EN_WORDS))
  if (random() < 0.1) words.push(`#${Math.floor(random() * 100_000)}`)
  return words.join(' ')
}

const conv = (i: number): ConversationId => `ch:${i.toString(16).padStart(32, '0')}` as ConversationId
/** Real device ids (message ids carry them and are checked), made once. */
const AUTHOR_IDS: PeerIdString[] = await Promise.all(Array.from({ length: AUTHORS }, async (_, i) => peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', createHash('sha256').update(`bench-author-${i}`).digest())).toString() as PeerIdString))
const author = (i: number): PeerIdString => AUTHOR_IDS[i] ?? AUTHOR_IDS[0] as PeerIdString


function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  return fn().then((value) => ({ ms: performance.now() - start, value }))
}

const fmt = (s: Summary): string => `p50 ${s.p50.toFixed(1)} / p99 ${s.p99.toFixed(1)} ms`
const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`

async function seed(store: Store, log: MessageLog): Promise<void> {
  const batchSize = 2000
  const seqs = new Map<string, number>()
  for (let c = 0; c < CONVERSATIONS; c++) {
    const b = store.batch()
    log.ensure(conv(c), b, () => ({ kind: 'channel', name: `c${c}` }))
    await b.write()
  }
  for (let i = 0; i < MESSAGES; i += batchSize) {
    const b = store.batch()
    for (let j = i; j < Math.min(MESSAGES, i + batchSize); j++) {
      const c = Math.floor(random() ** 1.5 * CONVERSATIONS)
      const a = Math.floor(random() * AUTHORS)
      const key = `${c}/${a}`
      const seq = (seqs.get(key) ?? 0) + 1
      seqs.set(key, seq)
      const at = T0 + Math.floor((j / MESSAGES) * YEAR_MS)
      const msg: StoredMessage = { conv: conv(c), author: author(a), seq, hlc: at * 1000, text: random() < 0.7 ? chineseText() : englishText(), state: 'received', mine: false }
      log.append(b, msg, { countUnread: false })
    }
    await b.write()
    if (i % 100_000 === 0) process.stdout.write(`  seeded ${i.toLocaleString('en-US')}\n`)
  }
}

/** Bytes of keys and values in these sublevels (what LevelDB holds before its own compression). */
async function sublevelBytes(path: string, names: readonly string[]): Promise<number> {
  const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  let total = 0
  try {
    for (const name of names) {
      for await (const [key, value] of db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }).iterator()) total += key.length + value.byteLength
    }
  } finally {
    await db.close()
  }
  return total
}

/**
 * This process's resident memory: all of it, and the anonymous part (heaps, buffers). The rest is
 * file pages: LevelDB maps its table files, and pages of them read count as resident while the
 * kernel may drop them at any time (page cache), so the anonymous part is what the process holds.
 */
function residentNow(): { rss: number; anon: number } {
  const status = readFileSync('/proc/self/status', 'utf8')
  const anon = Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024
  return { rss: process.memoryUsage().rss, anon }
}

/** Peak resident memory of this process while `fn` runs, sampled every 50 ms. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; rss: number; anon: number }> {
  const peak = residentNow()
  const sample = (): void => {
    const now = residentNow()
    peak.rss = Math.max(peak.rss, now.rss)
    peak.anon = Math.max(peak.anon, now.anon)
  }
  const sampler = setInterval(sample, 50)
  try {
    const value = await fn()
    sample()
    return { value, ...peak }
  } finally {
    clearInterval(sampler)
  }
}

const log = createLogger('bench', { level: 'warn' })

/** Phase 1 (own process): an older store, messages only. */
async function seedPhase(path: string, dataKey: Uint8Array): Promise<Record<string, number>> {
  process.stdout.write(`seeding ${MESSAGES.toLocaleString('en-US')} messages (an older store: no index)…\n`)
  const store = await openStore({ path, log, dataKey })
  const start = performance.now()
  await seed(store, await createMessageLog(store))
  const seedSeconds = (performance.now() - start) / 1000
  await store.close()
  return { seedSeconds, messageBytes: await sublevelBytes(path, ['messages', 'messageIndex', 'messageHours']) }
}

/** Phase 2 (own process): the upgrade, the index built from the stored messages in the background. */
async function buildPhase(path: string, dataKey: Uint8Array): Promise<Record<string, number>> {
  const store = await openStore({ path, log, dataKey })
  const index = await openSearchIndex({ store, log })
  const messages = await createMessageLog(store, indexOnAppend(index))
  const { value: ms, rss, anon } = await withPeakRss(async () => (await timeIt(async () => {
    index.fill(historySource(messages, createAnnotationLog(store)))
    while (index.status().state !== 'ready') await sleep(50)
  })).ms)
  await index.close()
  await store.close()
  process.stdout.write(`index built in ${(ms / 1000).toFixed(1)} s (${(MESSAGES / (ms / 1000)).toFixed(0)} messages/s)\n`)
  return { buildMs: ms, buildRss: rss, buildAnon: anon, indexBytes: await sublevelBytes(path, ['searchDocs', 'searchPostings', 'searchRefs', 'searchState']) }
}

/** Phase 3 (own process): queries, the naive scan, opening in context, live indexing. */
async function queryPhase(path: string, dataKey: Uint8Array): Promise<Record<string, unknown>> {
  const store = await openStore({ path, log, dataKey })
  const index = await openSearchIndex({ store, log })
  const log2 = await createMessageLog(store, indexOnAppend(index))
  const search = createMessageSearch({ index, messages: log2, decorate: (views) => Promise.resolve(views), self: author(0) })
  const classes: Record<string, () => MessageSearchInput> = {
    'one word (en)': () => ({ query: pick(EN_WORDS.slice(25)) }),
    'two words (en)': () => ({ query: `${pick(EN_WORDS.slice(25))} ${pick(EN_WORDS.slice(25))}` }),
    'one word (zh)': () => ({ query: pick(ZH_WORDS) }),
    'two words (zh)': () => ({ query: `${pick(ZH_WORDS)} ${pick(ZH_WORDS)}` }),
    'CJK substring': () => { const w = pick(ZH_WORDS) + pick(ZH_WORDS); const s = Math.floor(random() * (w.length - 2)); return { query: w.slice(s, s + 2 + Math.floor(random() * 2)) } },
    'filtered (word + sender + conversation)': () => ({ query: pick(ZH_WORDS), from: [author(Math.floor(random() * AUTHORS))], conversationId: conv(Math.floor(random() * 5)) }),
    'rare (no hit)': () => ({ query: 'zqxjv 不存在的词' })
  }
  const timings: Record<string, Summary> = {}
  const hitsSeen: Array<{ conv: ConversationId; order: string }> = []
  const { rss: queryRss, anon: queryAnon } = await withPeakRss(async () => {
    for (const [name, make] of Object.entries(classes)) {
      const samples: number[] = []
      for (let i = 0; i < QUERIES + 20; i++) {
        const r = await timeIt(() => search({ ...make(), limit: 20 }))
        if (i >= 20) samples.push(r.ms)
        for (const h of r.value.hits.slice(0, 1)) hitsSeen.push({ conv: h.message.conversationId, order: h.message.order })
      }
      timings[name] = summarize(samples)
      process.stdout.write(`  ${name}: ${fmt(timings[name])}\n`)
    }
  })

  // Naive: every message decrypted, folded and matched, for the same kind of query.
  const scanSamples: number[] = []
  const raw = store.collection<StoredMessage>('messages')
  for (let i = 0; i < SCANS; i++) {
    const terms = queryTerms(pick(ZH_WORDS))
    const start = performance.now()
    let found = 0
    for await (const [, msg] of raw.entries()) if (matchesAll(fold(msg.text), terms)) found++
    scanSamples.push(performance.now() - start)
    process.stdout.write(`  naive scan ${i + 1}: ${(scanSamples.at(-1) ?? 0).toFixed(0)} ms, ${found} hits\n`)
  }

  // Open in context: the page before a hit and the page after it; next to the newest page.
  const context: number[] = []
  for (const h of hitsSeen.slice(0, QUERIES)) {
    context.push((await timeIt(() => Promise.all([log2.history(h.conv, { before: `${h.order}~`, limit: 50 }), log2.history(h.conv, { after: h.order, limit: 50 })]))).ms)
  }
  const newest: number[] = []
  for (const h of hitsSeen.slice(0, 50)) newest.push((await timeIt(() => log2.history(h.conv, { limit: 100 }))).ms)

  // Live: 1,000 messages/s appended in batches of 10 every 10 ms, with the index and without.
  const live = async (withIndex: boolean): Promise<{ write: Summary; lagMs: number }> => {
    const liveLog = await createMessageLog(store, withIndex ? indexOnAppend(index) : undefined)
    const b0 = store.batch()
    const c = conv(900 + (withIndex ? 1 : 0))
    liveLog.ensure(c, b0, () => ({ kind: 'channel', name: 'live' }))
    await b0.write()
    const writes: number[] = []
    const start = performance.now()
    for (let i = 0; i < LIVE; i += 10) {
      const wait = start + i - performance.now()
      if (wait > 0) await sleep(wait)
      const b = store.batch()
      for (let j = i; j < i + 10; j++) liveLog.append(b, { conv: c, author: author(1), seq: j + 1, hlc: (T0 + YEAR_MS + j) * 1000, text: random() < 0.7 ? chineseText() : englishText(), state: 'received', mine: false }, { countUnread: true })
      const w = performance.now()
      await b.write()
      writes.push(performance.now() - w)
    }
    const flushStart = performance.now()
    await index.flush()
    return { write: summarize(writes), lagMs: performance.now() - flushStart }
  }
  const plain = await live(false)
  const indexed = await live(true)
  const liveFound = (await search({ query: pick(ZH_WORDS), conversationId: conv(901) })).hits.length > 0
  await index.close()
  await store.close()
  return { timings, queryRss, queryAnon, scan: summarize(scanSamples), openInContext: summarize(context), newest: summarize(newest), live: { plain, indexed, found: liveFound } }
}

const PHASES = { seed: seedPhase, build: buildPhase, query: queryPhase } as const
type Phase = keyof typeof PHASES

/** Each phase in a process of its own, so each one's memory is its own. */
async function main(): Promise<void> {
  const phase = process.env.BENCH_SEARCH_PHASE as Phase | undefined
  if (phase !== undefined) {
    const dir = process.env.BENCH_SEARCH_DIR ?? ''
    const result = await PHASES[phase](join(dir, 'store'), Buffer.from(process.env.BENCH_SEARCH_KEY ?? '', 'hex'))
    await writeFile(join(dir, `${phase}.json`), JSON.stringify(result))
    return
  }
  const dir = await mkdtemp(join(tmpdir(), 'enclave-bench-search-'))
  const key = randomBytes(32).toString('hex')
  try {
    const results: Record<string, Record<string, unknown>> = {}
    for (const p of Object.keys(PHASES)) {
      const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, BENCH_SEARCH_PHASE: p, BENCH_SEARCH_DIR: dir, BENCH_SEARCH_KEY: key } })
      if (run.status !== 0) throw new Error(`phase ${p} failed`)
      results[p] = JSON.parse(await readFile(join(dir, `${p}.json`), 'utf8')) as Record<string, unknown>
    }
    const seeded = results.seed as { seedSeconds: number; messageBytes: number }
    const built = results.build as { buildMs: number; buildRss: number; buildAnon: number; indexBytes: number }
    const q = results.query as { timings: Record<string, Summary>; queryRss: number; queryAnon: number; scan: Summary; openInContext: Summary; newest: Summary; live: { plain: { write: Summary }; indexed: { write: Summary; lagMs: number }; found: boolean } }
    const buildRate = MESSAGES / (built.buildMs / 1000)
    const worstP50 = Math.max(...Object.values(q.timings).map((s) => s.p50))
    const worstP99 = Math.max(...Object.values(q.timings).map((s) => s.p99))
    const rows: Row[] = [
      ...Object.entries(q.timings).map(([name, s]) => ({ metric: `query: ${name}`, enclave: fmt(s), baseline: `naive scan ${fmt(q.scan)}`, target: 'p50 ≤ 10, p99 ≤ 50 ms', met: s.p50 <= 10 && s.p99 <= 50 ? 'yes' : 'no' })),
      { metric: 'index (re)build from stored messages', enclave: `${buildRate.toFixed(0)} msg/s (${(built.buildMs / 1000).toFixed(0)} s)`, baseline: `seeding the store: ${(MESSAGES / seeded.seedSeconds).toFixed(0)} msg/s`, target: '≥ 10,000 msg/s', met: buildRate >= 10_000 ? 'yes' : 'no' },
      { metric: 'index size (keys + values)', enclave: mib(built.indexBytes), baseline: `messages ${mib(seeded.messageBytes)}`, target: '—', met: '—' },
      { metric: 'peak RSS building / searching: anonymous (all, with mapped store files)', enclave: `${mib(built.buildAnon)} / ${mib(q.queryAnon)} (${mib(built.buildRss)} / ${mib(q.queryRss)})`, baseline: '—', target: '≤ 200 MiB searching', met: q.queryAnon <= 200 * 1048576 ? 'yes' : 'no' },
      { metric: 'open a hit in context (100 around it)', enclave: fmt(q.openInContext), baseline: `newest page ${fmt(q.newest)}`, target: '≤ 50 ms', met: q.openInContext.p99 <= 50 ? 'yes' : 'no' },
      { metric: `live: ${LIVE.toLocaleString('en-US')} msgs at 1,000/s, batch write`, enclave: fmt(q.live.indexed.write), baseline: `no index ${fmt(q.live.plain.write)}`, target: 'keeps up, delivery not delayed', met: q.live.found && q.live.indexed.write.p99 < 50 ? 'yes' : 'no' },
      { metric: 'live: postings written after the last message', enclave: `${q.live.indexed.lagMs.toFixed(0)} ms`, baseline: '—', target: 'keeps up', met: q.live.indexed.lagMs < 2000 ? 'yes' : 'no' }
    ]
    printTable(`Search over ${MESSAGES.toLocaleString('en-US')} messages (70 % Chinese), ${QUERIES} queries per class, limit 20; worst class p50 ${worstP50.toFixed(1)} ms, p99 ${worstP99.toFixed(1)} ms`, rows)
    await writeResults('search', { messages: MESSAGES, queries: QUERIES, seed: seeded, build: built, buildRate, query: q })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
