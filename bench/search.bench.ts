/**
 * `npm run bench:search` (issue 17): the sealed search index over 1,000,000 messages (70 %
 * Chinese, 30 % English, generated deterministically) in 50 conversations over a year. A store
 * as an older Enclave left it (messages, no index) is written first; then the index is built from
 * it as on upgrade (rate, size on disk, RSS), queries of each class are timed (the index proposes,
 * the stored message confirms, as `search.query` does), next to a naive scan of the same store
 * (decrypt every message, fold, match) in the same run. Then opening a hit in context, and live
 * indexing at 1,000 messages/s against the same appends without an index.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createMessageSearch, historySource, indexOnAppend } from '../src/chat/message-search.js'
import { createAnnotationLog } from '../src/chat/annotation-log.js'
import { createMessageLog, type MessageLog, type StoredMessage } from '../src/chat/message-log.js'
import { fold } from '../src/search/fold.js'
import { openSearchIndex, type SearchIndex } from '../src/search/search-index.js'
import { matchesAll, queryTerms } from '../src/search/terms.js'
import { createLogger } from '../src/logger.js'
import { openStore, type Store } from '../src/store/store.js'
import { printTable, summarize, writeResults, type Row, type Summary } from './stats.js'
import type { ConversationId, MessageSearchInput, PeerIdString } from '../src/api/contract.js'

const MESSAGES = Number(process.env.BENCH_SEARCH_MESSAGES ?? 1_000_000)
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 200)
const SCANS = Number(process.env.BENCH_SEARCH_SCANS ?? 3)
const LIVE = Number(process.env.BENCH_SEARCH_LIVE ?? 10_000)
const CONVERSATIONS = 50
const AUTHORS = 40
const YEAR_MS = 365 * 24 * 3600_000
const T0 = Date.UTC(2025, 11, 1)

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6D2B79F5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = rng(17)
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
const AUTHOR_IDS: PeerIdString[] = await Promise.all(Array.from({ length: AUTHORS }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() as PeerIdString))
const author = (i: number): PeerIdString => AUTHOR_IDS[i] ?? AUTHOR_IDS[0] as PeerIdString

async function dirBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size
  return total
}

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

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'enclave-bench-search-'))
  const path = join(dir, 'store')
  const dataKey = randomBytes(32)
  const log = createLogger('bench', { level: 'warn' })
  try {
    process.stdout.write(`seeding ${MESSAGES.toLocaleString('en-US')} messages (an older store: no index)…\n`)
    let store = await openStore({ path, log, dataKey })
    const seedStart = performance.now()
    await seed(store, await createMessageLog(store))
    const seedSeconds = (performance.now() - seedStart) / 1000
    await store.close()
    const bytesBefore = await dirBytes(path)

    // Upgrade: the index is built from the stored messages in the background.
    store = await openStore({ path, log, dataKey })
    let index: SearchIndex = await openSearchIndex({ store, log })
    const messages = await createMessageLog(store, indexOnAppend(index))
    const annotations = createAnnotationLog(store)
    let peakRss = 0
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 100)
    const build = await timeIt(async () => {
      index.fill(historySource(messages, annotations))
      while (index.status().state !== 'ready') await sleep(50)
    })
    const buildRss = peakRss
    await index.flush()
    await store.close()
    const bytesAfter = await dirBytes(path)
    const buildRate = MESSAGES / (build.ms / 1000)
    process.stdout.write(`index built in ${(build.ms / 1000).toFixed(1)} s (${buildRate.toFixed(0)} messages/s)\n`)

    // Queries, on a store opened afresh (the page cache warm, as on a desktop in use).
    store = await openStore({ path, log, dataKey })
    index = await openSearchIndex({ store, log })
    const log2 = await createMessageLog(store, indexOnAppend(index))
    const search = createMessageSearch({ index, messages: log2, decorate: (views) => Promise.resolve(views), self: author(0) })
    peakRss = 0
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
    for (const [name, make] of Object.entries(classes)) {
      const samples: number[] = []
      for (let i = 0; i < QUERIES + 20; i++) {
        const q = make()
        const r = await timeIt(() => search({ ...q, limit: 20 }))
        if (i >= 20) samples.push(r.ms)
        for (const h of r.value.hits.slice(0, 1)) hitsSeen.push({ conv: h.message.conversationId, order: h.message.order })
      }
      timings[name] = summarize(samples)
      process.stdout.write(`  ${name}: ${fmt(timings[name])}\n`)
    }
    const queryRss = peakRss

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
    const scan = summarize(scanSamples)

    // Open in context: the page before a hit and the page after it.
    const context: number[] = []
    for (const h of hitsSeen.slice(0, QUERIES)) {
      const r = await timeIt(() => Promise.all([log2.history(h.conv, { before: `${h.order}~`, limit: 50 }), log2.history(h.conv, { after: h.order, limit: 50 })]))
      context.push(r.ms)
    }
    const openInContext = summarize(context)
    const newest = summarize(await Promise.all(hitsSeen.slice(0, 50).map(async (h) => (await timeIt(() => log2.history(h.conv, { limit: 100 }))).ms)))

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
        const due = start + i
        const wait = due - performance.now()
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
    const liveFound = (await search({ query: 'zzzz' })).hits.length === 0 && (await search({ query: pick(ZH_WORDS), conversationId: conv(901) })).hits.length > 0
    clearInterval(sampler)
    await index.close()
    await store.close()

    const worstP50 = Math.max(...Object.values(timings).map((s) => s.p50))
    const worstP99 = Math.max(...Object.values(timings).map((s) => s.p99))
    const rows: Row[] = [
      ...Object.entries(timings).map(([name, s]) => ({ metric: `query: ${name}`, enclave: fmt(s), baseline: `naive scan ${fmt(scan)}`, target: 'p50 ≤ 10, p99 ≤ 50 ms', met: s.p50 <= 10 && s.p99 <= 50 ? 'yes' : 'no' })),
      { metric: 'index (re)build from stored messages', enclave: `${buildRate.toFixed(0)} msg/s (${(build.ms / 1000).toFixed(0)} s)`, baseline: `seeding the store: ${(MESSAGES / seedSeconds).toFixed(0)} msg/s`, target: '≥ 10,000 msg/s', met: buildRate >= 10_000 ? 'yes' : 'no' },
      { metric: 'index size on disk', enclave: mib(bytesAfter - bytesBefore), baseline: `messages alone ${mib(bytesBefore)}`, target: '—', met: '—' },
      { metric: 'RSS while building / searching', enclave: `${mib(buildRss)} / ${mib(queryRss)}`, baseline: '—', target: '≤ 200 MiB searching', met: queryRss <= 200 * 1048576 ? 'yes' : 'no' },
      { metric: 'open a hit in context (100 around it)', enclave: fmt(openInContext), baseline: `newest page ${fmt(newest)}`, target: '≤ 50 ms', met: openInContext.p99 <= 50 ? 'yes' : 'no' },
      { metric: `live: ${LIVE.toLocaleString('en-US')} msgs at 1,000/s, batch write`, enclave: fmt(indexed.write), baseline: `no index ${fmt(plain.write)}`, target: 'keeps up, delivery not delayed', met: liveFound && indexed.write.p99 < 50 ? 'yes' : 'no' },
      { metric: 'live: postings written after the last message', enclave: `${indexed.lagMs.toFixed(0)} ms`, baseline: '—', target: 'keeps up', met: indexed.lagMs < 2000 ? 'yes' : 'no' }
    ]
    printTable(`Search over ${MESSAGES.toLocaleString('en-US')} messages (70 % Chinese), ${QUERIES} queries per class, limit 20; worst class p50 ${worstP50.toFixed(1)} ms, p99 ${worstP99.toFixed(1)} ms`, rows)
    await writeResults('search', { messages: MESSAGES, queries: QUERIES, seedSeconds, buildMs: build.ms, buildRate, indexBytes: bytesAfter - bytesBefore, messageBytes: bytesBefore, buildRss, queryRss, timings, scan, openInContext, newest, live: { plain, indexed } })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
