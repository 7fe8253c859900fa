/**
 * Company directory search at imo's ceiling of 20,000 members (PRODUCT.md M5, principle 4):
 * index build time and heap, then search latency over a deterministic mix of queries, next to a
 * naive scan that converts every name to pinyin per query, measured in the same run.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pinyin } from 'pinyin-pro'
import { createDirectoryIndex, type DirectoryEntry } from '../src/org/directory-search.js'
import { printTable, prng, summarize, writeResults } from './stats.js'

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 20_000)
const QUERIES = Number(process.env.BENCH_QUERIES ?? 2_000)
/** The naive scan takes tens of milliseconds per query, so it runs on an even sample. */
const BASELINE_QUERIES = Number(process.env.BENCH_BASELINE_QUERIES ?? 50)
const CHURN = 200
const WARMUP = 200
const LIMIT = 50
const TARGET_P99_MS = 20

const SURNAMES = ('王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 ' +
  '余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 ' +
  '顾 毛 郝 龚 邵 万 钱 严 武 戴 莫 孔 向 汤 单 解 仇 朴 区 查 欧阳 司马 诸葛 上官').split(' ')
const GIVEN = Array.from('伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文辉力鹏飞斌宇浩凯俊帆帅旭晨阳宁欣怡雪梦婷琳晶颖璐佳嘉子涵思' +
  '雨轩博睿瑞泽天一鑫然楠昊亮海林波峰德成宏云新春立兵健永勤光荣忠福生龙元庆东晓慧倩丹蕾薇菲长乐行重和')
const FIRST = 'James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Daniel Karen Olivia Emma Liam Noah Sophia Lucas Mia Ethan Anna Wei Ming Kevin Grace'.split(' ')
const LAST = 'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Anderson Taylor Thomas Moore Jackson Martin Lee Chen Wang Zhang Liu Nguyen Kim Park Schmidt Rossi Dubois'.split(' ')
const TITLES = '工程师 高级工程师 产品经理 销售经理 会计 人事专员 行政助理 测试工程师 部门经理 总监 Software Engineer Designer Sales Manager Accountant'.split(' ')
const DEPARTMENTS = 300

const rand = prng(20_000)
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!
const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1))

function spell(name: string): string[] {
  return pinyin(name, { toneType: 'none', type: 'array', surname: 'head', nonZh: 'removed', v: true })
}

interface Member { entry: DirectoryEntry; chinese: boolean; syllables: string[]; local: string }

function generateMembers(): Member[] {
  const members: Member[] = []
  for (let i = 0; i < MEMBERS; i++) {
    const chinese = rand() < 0.8
    const name = chinese ? pick(SURNAMES) + pick(GIVEN) + (rand() < 0.7 ? pick(GIVEN) : '') : `${pick(FIRST)} ${pick(LAST)}`
    const syllables = chinese ? spell(name) : []
    const local = (chinese ? syllables.join('') : name.toLowerCase().replace(' ', '.')) + (rand() < 0.3 ? String(int(1, 99)) : '')
    const departments = Array.from({ length: int(1, 3) }, () => `d${int(0, DEPARTMENTS - 1)}`)
    const phone = `1${int(30, 89)} ${int(1000, 9999)} ${int(1000, 9999)}`
    members.push({ entry: { userId: `u${String(i).padStart(5, '0')}`, name, title: pick(TITLES), email: `${local}@corp.example`, phone, departments }, chinese, syllables, local })
  }
  return members
}

type QueryKind = 'chars' | 'pinyin' | 'pinyin-prefix' | 'initials' | 'latin' | 'email'
const KINDS: readonly QueryKind[] = ['chars', 'pinyin', 'pinyin-prefix', 'initials', 'latin', 'email']

function generateQueries(members: readonly Member[], count: number): Array<{ kind: QueryKind; text: string }> {
  const chinese = members.filter((m) => m.chinese)
  const latin = members.filter((m) => !m.chinese)
  return Array.from({ length: count }, (_, i) => {
    const kind = KINDS[i % KINDS.length]!
    const c = pick(chinese)
    const text = ((): string => {
      switch (kind) {
        case 'chars': return rand() < 0.7 ? Array.from(c.entry.name).slice(0, int(1, 2)).join('') : Array.from(c.entry.name).at(-1)!
        case 'pinyin': return c.syllables.join('')
        case 'pinyin-prefix': return c.syllables.join('').slice(0, int(1, 4))
        case 'initials': return c.syllables.map((s) => s[0]).join('').slice(0, int(2, 3))
        case 'latin': return pick(pick(latin).entry.name.split(' ')).slice(0, int(1, 4))
        case 'email': return pick(members).local.slice(0, int(3, 4))
      }
    })()
    return { kind, text }
  })
}

const collator = new Intl.Collator('zh-CN')

/** What a first implementation tends to do: convert every name on every keystroke. */
function naiveSearch(entries: readonly DirectoryEntry[], query: string): string[] {
  const q = query.toLowerCase().replace(/\s+/g, '')
  return entries
    .filter((e) => e.name.toLowerCase().includes(q) ||
      pinyin(e.name, { toneType: 'none', separator: '', surname: 'head' }).includes(q) ||
      pinyin(e.name, { pattern: 'first', toneType: 'none', separator: '', surname: 'head' }).includes(q) ||
      (e.email?.startsWith(q) ?? false))
    .sort((a, b) => collator.compare(a.name, b.name))
    .slice(0, LIMIT)
    .map((e) => e.userId)
}

function time(fn: () => unknown): number {
  const t0 = performance.now()
  fn()
  return performance.now() - t0
}

// Heap figures mean little without a collection first; --expose-gc is not on the run command.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const heapMiB = (): number => { gc(); return process.memoryUsage().heapUsed / 2 ** 20 }

const members = generateMembers()
const entries = members.map((m) => m.entry)
const queries = generateQueries(members, WARMUP + QUERIES)

const heapBefore = heapMiB()
const index = createDirectoryIndex()
const buildMs = time(() => { for (const e of entries) index.upsert(e) })
const firstSearchMs = time(() => index.search('z'))
const heapDelta = heapMiB() - heapBefore

for (const q of queries.slice(0, WARMUP)) index.search(q.text)
const measured = queries.slice(WARMUP)
const samples = measured.map((q) => ({ ...q, ms: time(() => index.search(q.text)) }))
const all = summarize(samples.map((s) => s.ms))
const short = summarize(samples.filter((s) => s.text.length <= 4).map((s) => s.ms))
const perKind = Object.fromEntries(KINDS.map((k) => [k, summarize(samples.filter((s) => s.kind === k).map((s) => s.ms))]))
const inDept = summarize(measured.map((q) => time(() => index.search(q.text, { departments: new Set(['d1', 'd2', 'd3']) }))))

// A profile edit between two searches: the next search pays for merging it into the order.
const churn = summarize(Array.from({ length: CHURN }, (_, i) => {
  const m = members[i]!.entry
  index.upsert({ ...m, name: `${m.name}${i % 2 === 0 ? '' : ' '}` })
  return time(() => index.search(measured[i % measured.length]!.text))
}))

const step = Math.max(1, Math.floor(measured.length / BASELINE_QUERIES))
const baselineQueries = measured.filter((_, i) => i % step === 0).slice(0, BASELINE_QUERIES)
const baseline = summarize(baselineQueries.map((q) => time(() => naiveSearch(entries, q.text))))

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`
const met = (ms: number): string => (ms <= TARGET_P99_MS ? 'yes' : 'NO')
const target = `≤ ${TARGET_P99_MS} ms`
const naive = `${fmt(baseline.p99)} (${baseline.n} q)`
printTable(`Directory search, ${MEMBERS} members, ${all.n} queries (limit ${LIMIT}); baseline: naive pinyin scan on ${baseline.n} of them`, [
  { metric: 'build: upserts', enclave: fmt(buildMs), baseline: 'n/a', target: '-', met: '-' },
  { metric: 'build: first search (orders index)', enclave: fmt(firstSearchMs), baseline: 'n/a', target: '-', met: '-' },
  { metric: 'heap retained by index', enclave: `${heapDelta.toFixed(1)} MiB`, baseline: 'n/a', target: '-', met: '-' },
  { metric: 'search p50, all queries', enclave: fmt(all.p50), baseline: `${fmt(baseline.p50)} (${baseline.n} q)`, target: '-', met: '-' },
  { metric: 'search p99, all queries', enclave: fmt(all.p99), baseline: naive, target, met: met(all.p99) },
  { metric: `search p99, 1-4 chars (${short.n} q)`, enclave: fmt(short.p99), baseline: '-', target, met: met(short.p99) },
  ...KINDS.map((k) => ({ metric: `  p99 ${k}`, enclave: fmt(perKind[k]?.p99 ?? Number.NaN), baseline: '-', target, met: met(perKind[k]?.p99 ?? Number.NaN) })),
  { metric: 'search p99, 3-department filter', enclave: fmt(inDept.p99), baseline: '-', target, met: met(inDept.p99) },
  { metric: `search p99 after 1 upsert (${churn.n}x)`, enclave: fmt(churn.p99), baseline: '-', target, met: met(churn.p99) }
])

await writeResults('directory-search', {
  config: { members: MEMBERS, queries: QUERIES, baselineQueries: baseline.n, limit: LIMIT, churn: CHURN },
  build: { upsertsMs: buildMs, firstSearchMs, heapMiB: heapDelta },
  search: { all, short, perKind, departmentFilter: inDept, afterUpsert: churn },
  baseline: { description: 'name.includes + pinyin()/initials conversion per member per query, then collator sort', ...baseline }
})
