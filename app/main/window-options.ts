import type { BrowserWindowConstructorOptions } from 'electron'

/**
 * The main window's options. The page is untrusted as far as main is concerned (it renders what
 * peers send): sandboxed, context-isolated, no Node anywhere, no <webview>.
 */
export function mainWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 480,
    minHeight: 400,
    title: 'Enclave',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      // Elsewhere Chromium downloads spelling dictionaries from Google's servers; a messenger
      // that promises no third-party servers must not. macOS uses the system's checker.
      spellcheck: process.platform === 'darwin'
    }
  }
}
