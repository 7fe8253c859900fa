/**
 * Company directory search (M5): find a colleague by name, pinyin, pinyin initials, email,
 * title or phone. Everything derived from an entry, above all its pinyin, is computed once at
 * upsert; a search is then one linear scan over short precomputed strings, which measures well
 * under the 20 ms budget at 20,000 members (bench/directory-search.bench.ts).
 */
import { pinyin } from 'pinyin-pro'

export interface DirectoryEntry {
  userId: string
  name: string
  title?: string
  email?: string
  phone?: string
  /** Ids of the departments the member belongs to (see department-tree.ts). */
  departments: readonly string[]
}

export type DirectoryMatch = 'name' | 'pinyin' | 'initials' | 'email' | 'title' | 'phone'

export interface DirectoryHit {
  userId: string
  /** Higher ranks first: 100 whole name, 90 name prefix, 65–70 pinyin, …, 20 phone; equal means a name tie. */
  score: number
  /** The field behind the best match, so the UI can say why a person was found. */
  matched: DirectoryMatch
}

export interface DirectorySearchOptions {
  /** @default 50 */
  limit?: number
  /** Only members in at least one of these departments; pass a subtree's ids to search it. */
  departments?: ReadonlySet<string>
}

export interface DirectoryIndex {
  /** Adds a member or replaces the one with the same userId. */
  upsert(entry: DirectoryEntry): void
  /** False when no such member was indexed. */
  remove(userId: string): boolean
  readonly size: number
  /** Best hits first; ties by name in Chinese collation, then userId. Empty for a blank query. */
  search(query: string, options?: DirectorySearchOptions): DirectoryHit[]
}

/** Ranking, best first. Each kind of match has its own score, so equal scores are plain name ties. */
const TIERS = [
  { score: 100, matched: 'name' }, // the whole name
  { score: 90, matched: 'name' }, // start of the name
  { score: 80, matched: 'name' }, // start of a later word: "wei" → "Li Wei"
  { score: 70, matched: 'pinyin' }, // all of it: "zhangsan" → 张三
  { score: 68, matched: 'initials' }, // all of them: "zs" → 张三
  { score: 65, matched: 'pinyin' }, // start of the full pinyin: "zhangs"
  { score: 60, matched: 'initials' }, // start of the initials: "zs" → 张三丰
  { score: 58, matched: 'pinyin' }, // syllable prefixes from the start: "zhsf", "zsanf"
  { score: 55, matched: 'email' }, // start of the address
  { score: 40, matched: 'name' }, // anywhere in the name: "三丰" → 张三丰
  { score: 35, matched: 'pinyin' }, // syllables of the given name: "sanfeng", "sf" → 张三丰
  { score: 30, matched: 'title' }, // anywhere in the title
  { score: 20, matched: 'phone' } // digits anywhere in the number
] as const satisfies ReadonlyArray<{ score: number; matched: DirectoryMatch }>

type Tier = number

/** Fewer digits than this would match nearly every number in the company. */
const MIN_PHONE_DIGITS = 3
const DEFAULT_LIMIT = 50
const HAN = /\p{Script=Han}/u
const WORD_BREAK = /[\s\-_.·・,，()（）]/u
const LATIN_LETTERS = /^[a-z]+$/

interface Indexed {
  userId: string
  /** The name as given, for ordering ties. */
  displayName: string
  departments: readonly string[]
  /** NFKC, lower case, whitespace removed: what a query is compared against. */
  name: string
  /** Offsets in `name` where a word other than the first begins. */
  wordStarts: number[]
  /** One toneless syllable per Han character, ü written v (as pinyin keyboards do). */
  syllables: string[]
  pinyin: string
  initials: string
  email: string
  /** Local part with . _ - removed, so "liwei" finds li.wei@… */
  emailLocal: string
  title: string
  phone: string
  /** name, email, emailLocal and title joined by newlines, which a query never contains. */
  text: string
  /** Whether it currently sits in the index's result order. */
  placed: boolean
}

const collator = new Intl.Collator('zh-CN')

function compareIndexed(a: Indexed, b: Indexed): number {
  const byName = collator.compare(a.displayName, b.displayName)
  if (byName !== 0) return byName
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0
}

function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase()
}

function compact(text: string): string {
  return fold(text).replace(/\s+/gu, '')
}

function wordStartsOf(folded: string): number[] {
  const starts: number[] = []
  let offset = 0
  let afterBreak = false
  for (const ch of folded) {
    if (WORD_BREAK.test(ch)) afterBreak = true
    else if (afterBreak) {
      if (offset > 0) starts.push(offset)
      afterBreak = false
    }
    if (!/\s/u.test(ch)) offset += ch.length
  }
  return starts
}

/** Surname mode reads a leading 曾 as zeng and 单 as shan, as people say them in names. */
function syllablesOf(name: string): string[] {
  if (!HAN.test(name)) return []
  return pinyin(name, { toneType: 'none', type: 'array', surname: 'head', nonZh: 'removed', v: true })
    .map((s) => s.toLowerCase())
    .filter((s) => LATIN_LETTERS.test(s))
}

function index(entry: DirectoryEntry): Indexed {
  const folded = fold(entry.name)
  const syllables = syllablesOf(folded)
  const name = compact(folded)
  const email = compact(entry.email ?? '')
  const at = email.lastIndexOf('@')
  const emailLocal = (at < 0 ? email : email.slice(0, at)).replace(/[._-]/g, '')
  const title = compact(entry.title ?? '')
  return {
    userId: entry.userId,
    displayName: entry.name,
    // A copy: the caller may reuse its array, and the index must not change underneath.
    departments: [...entry.departments],
    name,
    wordStarts: wordStartsOf(folded),
    syllables,
    pinyin: syllables.join(''),
    initials: syllables.map((s) => s[0]).join(''),
    email,
    emailLocal,
    title,
    phone: (entry.phone ?? '').normalize('NFKC').replace(/\D/g, ''),
    text: [name, email, emailLocal, title].join('\n'),
    placed: false
  }
}

/** Longer queries skip syllable spelling (the bit set below has 32 bits); whole-pinyin matches still apply. */
const MAX_SPELLED = 31

/**
 * True when the query spells consecutive syllables starting at `from`, each by a non-empty
 * prefix: "zhangsan", "zhangs", "zhs" and "zs" all spell 张三. `reach` holds the query offsets
 * spelled so far as bits, so the cost stays linear in syllables × query length and allocates nothing.
 */
function spellsSyllables(syllables: readonly string[], from: number, q: string): boolean {
  if (q.length > MAX_SPELLED) return false
  let reach = 1
  for (let i = from; i < syllables.length && reach !== 0; i++) {
    const s = syllables[i] ?? ''
    let next = 0
    for (let pos = 0; pos < q.length; pos++) {
      if ((reach & (1 << pos)) === 0) continue
      for (let len = 1; len <= s.length && pos + len <= q.length; len++) {
        if (q.charCodeAt(pos + len - 1) !== s.charCodeAt(len - 1)) break
        if (pos + len === q.length) return true
        next |= 1 << (pos + len)
      }
    }
    reach = next
  }
  return false
}

interface Query {
  text: string
  letters: boolean
  /** The query as phone digits, or null when it is not one. */
  digits: string | null
}

function prepare(raw: string): Query {
  const text = compact(raw)
  const digits = text.replace(/[-+().]/g, '')
  return { text, letters: LATIN_LETTERS.test(text), digits: /^\d+$/.test(digits) && digits.length >= MIN_PHONE_DIGITS ? digits : null }
}

/** The best tier this member reaches for the query, or -1. */
function bestTier(r: Indexed, q: Query): Tier {
  const t = q.text
  // One search through the joined text rejects most members before any field is looked at.
  const inText = r.text.includes(t)
  const spellable = q.letters && r.initials.includes(t.charAt(0))
  if (inText) {
    if (r.name === t) return 0
    if (r.name.startsWith(t)) return 1
    for (const offset of r.wordStarts) if (r.name.startsWith(t, offset)) return 2
  }
  if (spellable) {
    if (r.pinyin === t) return 3
    if (r.initials === t) return 4
    if (r.pinyin.startsWith(t)) return 5
    if (r.initials.startsWith(t)) return 6
    if (spellsSyllables(r.syllables, 0, t)) return 7
  }
  if (inText) {
    if (r.email.startsWith(t) || (r.emailLocal !== '' && r.emailLocal.startsWith(t))) return 8
    if (r.name.includes(t)) return 9
  }
  if (spellable) {
    const first = t.charCodeAt(0)
    for (let i = 1; i < r.syllables.length; i++) {
      if (r.syllables[i]?.charCodeAt(0) === first && spellsSyllables(r.syllables, i, t)) return 10
    }
  }
  if (inText && r.title.includes(t)) return 11
  if (q.digits !== null && r.phone.includes(q.digits)) return 12
  return -1
}

function inAny(departments: readonly string[], wanted: ReadonlySet<string>): boolean {
  for (const d of departments) if (wanted.has(d)) return true
  return false
}

/**
 * Members grouped by tier, each group in result order. Scanning in result order, a tier needs at
 * most `limit` members: later ones lose the tie. Kept apart from `search` so V8 optimises this
 * hot loop on its own; inlined there, it deoptimised on every call.
 */
function scan(ordered: readonly Indexed[], q: Query, limit: number, departments: ReadonlySet<string> | undefined): Indexed[][] {
  const buckets: Indexed[][] = TIERS.map(() => [])
  for (const r of ordered) {
    if (departments !== undefined && !inAny(r.departments, departments)) continue
    const bucket = buckets[bestTier(r, q)]
    if (bucket !== undefined && bucket.length < limit) bucket.push(r)
  }
  return buckets
}

function merge(a: readonly Indexed[], b: readonly Indexed[]): Indexed[] {
  const out: Indexed[] = []
  let i = 0
  let j = 0
  for (;;) {
    const x = a[i]
    const y = b[j]
    if (x === undefined) return out.concat(b.slice(j))
    if (y === undefined) return out.concat(a.slice(i))
    if (compareIndexed(x, y) <= 0) { out.push(x); i++ } else { out.push(y); j++ }
  }
}

/** First position in `ordered` whose member does not sort before `r`. */
function lowerBound(ordered: readonly Indexed[], r: Indexed): number {
  let lo = 0
  let hi = ordered.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const m = ordered[mid]
    if (m !== undefined && compareIndexed(m, r) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Up to this many changes are placed one by one (a binary search each); more are merged in one pass. */
const FEW_CHANGES = 64

export function createDirectoryIndex(): DirectoryIndex {
  const byUser = new Map<string, Indexed>()
  // Kept in result order (name, then userId) so a scan yields ties already sorted and no search
  // sorts with the collator. Changes wait in `added` and `dropped` until the next search.
  let ordered: Indexed[] = []
  let added: Indexed[] = []
  let dropped: Indexed[] = []

  const isCurrent = (r: Indexed): boolean => byUser.get(r.userId) === r

  const flush = (): void => {
    if (added.length + dropped.length === 0) return
    const fresh = added.filter(isCurrent)
    if (fresh.length + dropped.length <= FEW_CHANGES) {
      for (const r of dropped) {
        const i = lowerBound(ordered, r)
        if (ordered[i] === r) ordered.splice(i, 1)
      }
      for (const r of fresh) ordered.splice(lowerBound(ordered, r), 0, r)
    } else {
      ordered = merge(ordered.filter(isCurrent), fresh.sort(compareIndexed))
    }
    for (const r of dropped) r.placed = false
    for (const r of fresh) r.placed = true
    added = []
    dropped = []
  }

  const forget = (userId: string): boolean => {
    const old = byUser.get(userId)
    if (old === undefined) return false
    byUser.delete(userId)
    if (old.placed) dropped.push(old)
    return true
  }

  return {
    upsert: (entry) => {
      const r = index(entry)
      forget(entry.userId)
      byUser.set(entry.userId, r)
      added.push(r)
      // Without searches in between, repeated upserts of the same members would pile up here.
      if (added.length > 2 * byUser.size + 1024) flush()
    },
    remove: forget,
    get size() { return byUser.size },
    search: (query, options = {}) => {
      const limit = Math.floor(options.limit ?? DEFAULT_LIMIT)
      const q = prepare(query)
      if (q.text === '' || !(limit > 0)) return []
      flush()
      const buckets = scan(ordered, q, limit, options.departments)
      const hits: DirectoryHit[] = []
      for (const [tier, { score, matched }] of TIERS.entries()) {
        for (const r of buckets[tier] ?? []) {
          if (hits.length === limit) return hits
          hits.push({ userId: r.userId, score, matched })
        }
      }
      return hits
    }
  }
}
