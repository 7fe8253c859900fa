/** One emoji as the picker offers it. */
export interface EmojiEntry {
  /** The emoji as Unicode recommends it (what a reaction carries). */
  emoji: string
  /** Skin-tone variants, light to dark (five), when it has them. */
  skins?: readonly string[]
  /** Index into the picker's groups (smileys, people, animals, …). */
  group: number
  /** Its name in English and in Chinese, and their keywords. */
  names: readonly string[]
  /** The Chinese name in pinyin, whole and as initials ("muzhixiangshang", "mzxs"). */
  pinyin: readonly string[]
}

const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v')

/**
 * The form of an emoji a reaction may carry: data sets add U+FE0F to emoji already shown as
 * emoji (👍 + FE0F), which is not a recommended sequence; the one without it is.
 */
export function recommended(emoji: string): string {
  if (RGI_EMOJI.test(emoji)) return emoji
  const bare = emoji.replaceAll('\uFE0F', '')
  return RGI_EMOJI.test(bare) ? bare : emoji
}

/**
 * Emoji matching a query, best first: a name or keyword that starts with it, then one that
 * contains it; pinyin and its initials count as names ("zan" and "dz" find 👍 (赞, 点赞)).
 * Case and width do not matter.
 */
export function searchEmoji(entries: readonly EmojiEntry[], query: string, limit = 200): EmojiEntry[] {
  const q = query.normalize('NFKC').trim().toLowerCase()
  if (q === '') return []
  const scored: Array<{ e: EmojiEntry; score: number; at: number }> = []
  entries.forEach((e, at) => {
    let score = 0
    for (const name of [...e.names, ...e.pinyin]) {
      const n = name.toLowerCase()
      if (n === q) score = Math.max(score, 3)
      else if (n.startsWith(q) || n.split(/[\s:,-]+/).some((w) => w.startsWith(q))) score = Math.max(score, 2)
      else if (n.includes(q)) score = Math.max(score, 1)
    }
    if (score > 0) scored.push({ e, score, at })
  })
  return scored.sort((a, b) => b.score - a.score || a.at - b.at).slice(0, limit).map((s) => s.e)
}
