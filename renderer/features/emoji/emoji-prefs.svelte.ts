import { loadSaved } from '../../state/saved-prefs'

const KEY = 'enclave.emoji'
/** Recently used emoji kept. */
const RECENT = 16

interface Saved { tone?: number; recent?: string[] }

/** The skin tone chosen (0: none, 1–5 light to dark) and the emoji used lately, kept in this profile. */
class EmojiPrefs {
  tone = $state(0)
  recent = $state.raw<string[]>([])

  constructor() {
    const saved = loadSaved<Saved>(KEY)
    this.tone = Number.isInteger(saved.tone) && (saved.tone ?? 0) >= 0 && (saved.tone ?? 0) <= 5 ? saved.tone ?? 0 : 0
    this.recent = Array.isArray(saved.recent) ? saved.recent.filter((e) => typeof e === 'string').slice(0, RECENT) : []
  }

  setTone(tone: number): void {
    this.tone = tone
    this.save()
  }

  used(emoji: string): void {
    this.recent = [emoji, ...this.recent.filter((e) => e !== emoji)].slice(0, RECENT)
    this.save()
  }

  private save(): void {
    localStorage.setItem(KEY, JSON.stringify({ tone: this.tone, recent: this.recent } satisfies Saved))
  }
}

export const emojiPrefs = new EmojiPrefs()
