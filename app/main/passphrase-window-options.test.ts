import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newPassphraseWindow } from './passphrase-window-options.js'
import { newMainWindow } from './window-options.js'
import type { BrowserWindowConstructorOptions } from 'electron'

/** Stands in for Electron's BrowserWindow, which cannot run under node --test. */
class OptionsOnly {
  constructor(readonly options: BrowserWindowConstructorOptions) {}
}

test('the prompt window is as locked down as the main window, with its own preload and no spell checker', () => {
  const { options } = newPassphraseWindow(OptionsOnly, '/app/dist/app/preload/passphrase-preload.cjs', 'unlock')
  const main = newMainWindow(OptionsOnly, '/app/dist/app/preload/preload.cjs').options.webPreferences
  assert.deepEqual(options.webPreferences, { ...main, preload: '/app/dist/app/preload/passphrase-preload.cjs', spellcheck: false })
  assert.deepEqual(options.webPreferences, {
    preload: '/app/dist/app/preload/passphrase-preload.cjs',
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false
  })
  assert.equal(options.show, false)
  const create = newPassphraseWindow(OptionsOnly, '/p', 'create').options
  assert.ok((create.height ?? 0) > (options.height ?? 0), 'room for the second field')
})
