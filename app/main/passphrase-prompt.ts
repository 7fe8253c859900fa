import { BrowserWindow } from 'electron'
import { passphrasePageUrl } from './passphrase-page.js'
import { acceptPassphrase, PASSPHRASE_CHANNEL } from './passphrase-rules.js'
import { newPassphraseWindow } from './passphrase-window-options.js'
import { messageOf, type ShellLog } from './shell-log.js'
import type { PassphraseRequest } from './desktop-store-key.js'

export interface PassphrasePromptInit {
  /** Absolute path of dist/app/preload/passphrase-preload.cjs. */
  preload: string
  log: ShellLog
}

/**
 * Asks for the store's passphrase in a small window of its own; resolves with it, or null when
 * the window was closed. One window per question: a wrong passphrase opens a new one saying so.
 * The window is hardened like every other (main.ts applies hardenWebContents to all of them and
 * the default session denies permissions and network); only this window's WebContents is
 * listened to, and main checks the submitted value again (acceptPassphrase).
 */
export function createPassphrasePrompt({ preload, log }: PassphrasePromptInit): (request: PassphraseRequest) => Promise<string | null> {
  return (request) => new Promise((resolve) => {
    const window = newPassphraseWindow(BrowserWindow, preload, request.mode)
    let settled = false
    const finish = (passphrase: string | null): void => {
      if (settled) return
      settled = true
      resolve(passphrase)
      if (!window.isDestroyed()) window.destroy()
    }
    window.webContents.ipc.on(PASSPHRASE_CHANNEL, (_event, value: unknown) => {
      const passphrase = acceptPassphrase(request, value)
      if (passphrase === null) log.warn('ignored an unacceptable passphrase submission')
      else finish(passphrase)
    })
    window.once('ready-to-show', () => { window.show() })
    window.on('closed', () => { finish(null) })
    window.webContents.on('render-process-gone', () => { finish(null) })
    window.loadURL(passphrasePageUrl(request)).catch((err: unknown) => {
      log.error('could not show the passphrase prompt', { error: messageOf(err) })
      finish(null)
    })
  })
}
