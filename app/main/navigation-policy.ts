/**
 * Where windows may go. The renderer is served from a privileged custom scheme (app-protocol.ts),
 * so "our" pages are exactly the URLs on that origin; everything else is refused in-app.
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'enclave'
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/** True for pages of the app itself, the only place a window may navigate to. */
export function isAppUrl(url: string): boolean {
  const parsed = parse(url)
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === ''
}

/**
 * The URL to hand to the OS browser for a link the page tried to open, or null to drop it.
 * Only https: a file:, smb: or custom-scheme URL can run or mount things on the user's machine.
 */
export function externalUrlFor(url: string): string | null {
  const parsed = parse(url)
  if (parsed === null || parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return null
  return parsed.href
}
