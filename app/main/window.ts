import { BrowserWindow } from 'electron'
import { APP_ENTRY_URL } from './navigation-policy.js'
import { newMainWindow } from './window-options.js'
import type { ShellLog } from './shell-log.js'

/** At most one automatic reload after a renderer crash per this long. */
const RELOAD_AFTER_CRASH_MIN_MS = 10_000

export interface MainWindowInit {
  /** Absolute path of the bundled preload (dist/app/preload/preload.cjs). */
  preload: string
  /** While this says no, closing the window only hides it: the node keeps receiving messages. */
  allowClose: () => boolean
  log: ShellLog
}

/** The one window: sandboxed, isolated, Node-free, showing the renderer from app://enclave. */
export function createMainWindow({ preload, allowClose, log }: MainWindowInit): BrowserWindow {
  const window = newMainWindow(BrowserWindow, preload)
  window.once('ready-to-show', () => { window.show() })
  window.on('close', (event) => {
    if (allowClose()) return
    event.preventDefault()
    window.hide()
  })
  // A crashed page is reloaded, but not in a loop if it crashes while loading.
  let lastReload = 0
  window.webContents.on('render-process-gone', (_event, details) => {
    log.error('renderer process gone', { reason: details.reason, exitCode: details.exitCode })
    if (details.reason === 'clean-exit' || window.isDestroyed() || Date.now() - lastReload < RELOAD_AFTER_CRASH_MIN_MS) return
    lastReload = Date.now()
    window.webContents.reload()
  })
  return window
}

/** Loads the renderer; call after the window's WebContents was given to the core host. */
export function loadRenderer(window: BrowserWindow, log: ShellLog): void {
  window.loadURL(APP_ENTRY_URL).catch((err: unknown) => { log.error('could not load the renderer', { error: String(err) }) })
}

/** Brings the window to the front, from the tray, a notification or a deep link. */
export function revealWindow(window: BrowserWindow): void {
  if (window.isDestroyed()) return
  if (window.isMinimized()) window.restore()
  window.show()
  window.focus()
}
