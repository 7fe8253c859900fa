import { detectLanguage, i18n, LANGUAGES, type Language } from '../i18n/i18n.svelte'
import { loadSaved } from './saved-prefs'

export type Theme = 'system' | 'light' | 'dark'
const KEY = 'enclave.settings'

interface Saved { language?: Language; theme?: Theme; readReceipts?: boolean; typing?: boolean }

/** Per-window preferences: kept in this profile's localStorage, applied live. */
class SettingsState {
  theme = $state<Theme>('system')
  /** Tell colleagues when this person has read their messages (privacy: off sends none). */
  readReceipts = $state(true)
  /** Tell colleagues while this person types (privacy: off sends none). */
  typing = $state(true)
  private readonly dark = window.matchMedia('(prefers-color-scheme: dark)')
  private systemDark = $state(false)
  /** The theme actually shown. */
  effectiveTheme = $derived<'light' | 'dark'>(this.theme === 'system' ? (this.systemDark ? 'dark' : 'light') : this.theme)

  constructor() {
    const saved = loadSaved<Saved>(KEY)
    const language = LANGUAGES.some((l) => l.code === saved.language) ? saved.language : undefined
    i18n.language = language ?? detectLanguage()
    this.theme = saved.theme === 'light' || saved.theme === 'dark' ? saved.theme : 'system'
    this.readReceipts = saved.readReceipts !== false
    this.typing = saved.typing !== false
    this.systemDark = this.dark.matches
    this.dark.addEventListener('change', (e) => { this.systemDark = e.matches })
  }

  get language(): Language { return i18n.language }

  setLanguage(language: Language): void {
    i18n.language = language
    this.save()
  }

  setTheme(theme: Theme): void {
    this.theme = theme
    this.save()
  }

  setPrivacy(change: { readReceipts?: boolean; typing?: boolean }): void {
    this.readReceipts = change.readReceipts ?? this.readReceipts
    this.typing = change.typing ?? this.typing
    this.save()
  }

  /** Keeps <html lang> and data-theme in step; call once from the root component's effect. */
  apply(): void {
    document.documentElement.lang = i18n.language
    document.documentElement.dataset.theme = this.effectiveTheme
  }

  private save(): void {
    localStorage.setItem(KEY, JSON.stringify({ language: i18n.language, theme: this.theme, readReceipts: this.readReceipts, typing: this.typing } satisfies Saved))
  }
}

export const settings = new SettingsState()
