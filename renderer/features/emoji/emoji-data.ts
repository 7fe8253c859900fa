import { recommended, type EmojiEntry } from './emoji-search'

/** emojibase's compact entries, as far as the picker reads them. */
interface Compact {
  unicode: string
  label: string
  group?: number
  order?: number
  tags?: string[]
  skins?: Array<{ unicode: string }>
}

/** The "component" group (skin tones, hair): parts of emoji, not emoji to pick. */
const COMPONENT_GROUP = 2

let loaded: Promise<EmojiEntry[]> | undefined

/**
 * Every emoji with English and Chinese names and the Chinese in pinyin, loaded on first use:
 * emojibase-data's compact sets (MIT) and pinyin-pro, each a chunk of its own (~0.5 MB apiece),
 * so the app's first screen carries none of it.
 */
export function loadEmoji(): Promise<EmojiEntry[]> {
  loaded ??= (async () => {
    const [en, zh, { pinyin }] = await Promise.all([
      import('emojibase-data/en/compact.json').then((m) => m.default as unknown as Compact[]),
      import('emojibase-data/zh/compact.json').then((m) => m.default as unknown as Compact[]),
      import('pinyin-pro')
    ])
    const zhByCode = new Map(zh.map((e) => [e.unicode, e]))
    return en
      .filter((e) => e.group !== undefined && e.group !== COMPONENT_GROUP)
      .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
      .map((e): EmojiEntry => {
        const cn = zhByCode.get(e.unicode)
        const spelled = cn === undefined ? [] : [pinyin(cn.label, { toneType: 'none', type: 'array' }), pinyin(cn.label, { pattern: 'first', toneType: 'none', type: 'array' })].map((parts) => parts.join(''))
        return {
          emoji: recommended(e.unicode),
          ...(e.skins === undefined ? {} : { skins: e.skins.map((s) => recommended(s.unicode)) }),
          group: e.group ?? 0,
          names: [e.label, ...e.tags ?? [], ...(cn === undefined ? [] : [cn.label, ...cn.tags ?? []])],
          pinyin: spelled.filter((p) => p !== '')
        }
      })
  })()
  return loaded
}
