import { shell, type Session, type WebContents } from 'electron'
import { externalUrlFor, isAppUrl } from './navigation-policy.js'
import type { ShellLog } from './shell-log.js'

/**
 * Denies every permission (geolocation, notifications, clipboard read, devices…) but the camera
 * and microphone, which the app's own pages use in calls: main shows notifications itself.
 * Requests to the network are cancelled too: the page has no reason to reach it, and CSP alone
 * would still let a navigation or a devtools-injected script try.
 */
export function hardenSession(session: Session, log: ShellLog): void {
  const allowed = (permission: string, url: string): boolean => permission === 'media' && isAppUrl(url)
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const ok = allowed(permission, details.requestingUrl || contents.getURL())
    if (!ok) log.debug('permission denied', { permission })
    callback(ok)
  })
  session.setPermissionCheckHandler((_contents, permission, origin) => allowed(permission, origin))
  session.setDevicePermissionHandler(() => false)
  session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, callback) => {
    log.warn('blocked a network request from a page', { url: details.url.slice(0, 200) })
    callback({ cancel: true })
  })
}

/**
 * Applied to every WebContents the app creates: no navigation away from the app, no new
 * windows, no <webview>. An https link the user clicked opens in the OS browser instead.
 */
export function hardenWebContents(contents: WebContents, log: ShellLog): void {
  const openOutside = (url: string): void => {
    const external = externalUrlFor(url)
    if (external === null) {
      log.warn('refused to open a link', { url: url.slice(0, 200) })
      return
    }
    shell.openExternal(external).catch((err: unknown) => { log.warn('could not open a link in the browser', { error: String(err) }) })
  }
  contents.on('will-navigate', (event) => {
    if (isAppUrl(event.url)) return
    event.preventDefault()
    openOutside(event.url)
  })
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => { event.preventDefault() })
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
}
