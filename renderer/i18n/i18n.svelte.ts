import { IntlMessageFormat } from 'intl-messageformat'
import { en, type MessageKey } from './en'
import { zhCN } from './zh-CN'

export const LANGUAGES = [
  { code: 'zh-CN', label: '简体中文' },
  { code: 'en', label: 'English' }
] as const
export type Language = (typeof LANGUAGES)[number]['code']

const catalogs: Record<Language, Record<MessageKey, string>> = { en, 'zh-CN': zhCN }

/** The first supported language the browser prefers, else English. */
export function detectLanguage(preferred: readonly string[] = navigator.languages): Language {
  for (const tag of preferred) {
    if (tag.toLowerCase().startsWith('zh')) return 'zh-CN'
    if (tag.toLowerCase().startsWith('en')) return 'en'
  }
  return 'en'
}

class I18n {
  language = $state<Language>('en')

  /** Strings compiled once per language (ICU MessageFormat: `{count, plural, one {…} other {…}}`). */
  private readonly compiled = new Map<string, IntlMessageFormat>()

  /**
   * Looks up a UI string and formats it as an ICU message: `{name}` placeholders and plurals by
   * the language's rules ("1 reply", "2 replies"; Chinese has one form). Reactive: re-renders on
   * a switch. A parameter left out shows as its `{name}`, never as an exception.
   */
  t = (key: MessageKey, params: Record<string, string | number> = {}): string => {
    const template = catalogs[this.language][key]
    if (!template.includes('{')) return template
    const id = `${this.language} ${key}`
    let format = this.compiled.get(id)
    if (format === undefined) {
      // Tags stay text: a translation may write "<script>" and mean it.
      format = new IntlMessageFormat(template, this.language, undefined, { ignoreTag: true })
      this.compiled.set(id, format)
    }
    try {
      return String(format.format(params))
    } catch {
      return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`))
    }
  }

  /** Intl formatters made once per language and kind: making one costs far more than using it (a list of messages formats hundreds of times). */
  private readonly formatters = new Map<string, unknown>()
  private formatter<T>(kind: string, make: (language: Language) => T): T {
    const id = `${this.language} ${kind}`
    let f = this.formatters.get(id) as T | undefined
    if (f === undefined) {
      f = make(this.language)
      this.formatters.set(id, f)
    }
    return f
  }

  /** "Dave, Erin and Frank" / "Dave、Erin和Frank". */
  list = (items: readonly string[]): string => this.formatter('list', (l) => new Intl.ListFormat(l, { style: 'long', type: 'conjunction' })).format(items)

  time = (epochMs: number): string => this.formatter('time', (l) => new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit' })).format(epochMs)

  day = (epochMs: number): string => {
    const date = new Date(epochMs)
    const today = new Date()
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1)
    if (date.toDateString() === today.toDateString()) return this.t('time.today')
    if (date.toDateString() === yesterday.toDateString()) return this.t('time.yesterday')
    return this.formatter('day', (l) => new Intl.DateTimeFormat(l, { year: 'numeric', month: 'long', day: 'numeric', weekday: 'short' })).format(date)
  }

  /** 1536 → "1.5 KB": sizes as people read them (decimal units, like the platforms' file managers). */
  bytes = (n: number): string => {
    // Intl's short "byte" does not take a plural ("29 byte"): bytes are written as B.
    if (n < 1000) return `${new Intl.NumberFormat(this.language).format(n)} B`
    const units = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const
    let value = n / 1000
    let unit = 0
    while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++ }
    return new Intl.NumberFormat(this.language, { style: 'unit', unit: units[unit], unitDisplay: 'short', maximumFractionDigits: 1 }).format(value)
  }

  /** Seconds left as "45 sec" / "3 min" / "2 hr". */
  duration = (seconds: number): string => {
    const [value, unit] = seconds < 90 ? [seconds, 'second'] : seconds < 90 * 60 ? [Math.round(seconds / 60), 'minute'] : [Math.round(seconds / 3600), 'hour']
    return new Intl.NumberFormat(this.language, { style: 'unit', unit, unitDisplay: 'short' }).format(value)
  }

  /** A video's length as players write it: "0:07", "12:30", "1:02:03". */
  clock = (ms: number): string => {
    const total = Math.round(ms / 1000)
    const [h, m, sec] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60]
    const pad = (n: number): string => String(n).padStart(2, '0')
    return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`
  }

  relative = (epochMs: number): string => {
    const minutes = Math.round((epochMs - Date.now()) / 60_000)
    const rtf = this.formatter('relative', (l) => new Intl.RelativeTimeFormat(l, { numeric: 'auto' }))
    if (Math.abs(minutes) < 60) return rtf.format(minutes, 'minute')
    if (Math.abs(minutes) < 60 * 24) return rtf.format(Math.round(minutes / 60), 'hour')
    return rtf.format(Math.round(minutes / (60 * 24)), 'day')
  }
}

export const i18n = new I18n()
export const t = i18n.t
export type { MessageKey }
