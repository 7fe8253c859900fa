import { mainWindowOptions } from './window-options.js'
import type { BrowserWindowConstructorOptions } from 'electron'

/**
 * The passphrase prompt's options: the main window's web preferences (sandboxed, isolated, no
 * Node, no <webview>) with the prompt's own preload, and no spell checker on what is typed.
 */
export function passphraseWindowOptions(preload: string, mode: 'create' | 'unlock'): BrowserWindowConstructorOptions {
  const { webPreferences } = mainWindowOptions(preload)
  return {
    // The page's own size (measured in Chromium: 356 and 250 px tall), whatever the frame adds.
    useContentSize: true,
    width: 440,
    height: mode === 'create' ? 380 : 270,
    resizable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    autoHideMenuBar: true,
    title: 'Enclave',
    show: false,
    webPreferences: { ...webPreferences, preload, spellcheck: false }
  }
}
