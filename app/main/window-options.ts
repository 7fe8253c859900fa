import type { BrowserWindowConstructorOptions } from 'electron'

/** Electron's BrowserWindow class, or a test's stand-in that keeps the options it is given. */
export type WindowClass<W> = new (options: BrowserWindowConstructorOptions) => W

/**
 * Makes the main window. The page is untrusted as far as main is concerned (it renders what
 * peers send): sandboxed, context-isolated, no Node anywhere, no <webview>. The options are
 * written out at the constructor call, where readers and scanners (Electronegativity) look for
 * them; the class comes in as a parameter only so node --test, where Electron cannot run, can
 * check them.
 */
export function newMainWindow<W>(BrowserWindow: WindowClass<W>, preload: string): W {
  return new BrowserWindow({
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
  })
}
