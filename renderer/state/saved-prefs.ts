/** A profile's saved preferences under `key` (localStorage JSON); nothing saved or unreadable is `{}`. */
export function loadSaved<T extends object>(key: string): Partial<T> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? '{}')
    return typeof value === 'object' && value !== null ? value : {}
  } catch {
    return {}
  }
}
