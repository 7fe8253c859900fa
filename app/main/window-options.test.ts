import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newMainWindow } from './window-options.js'
import type { BrowserWindowConstructorOptions } from 'electron'

/** Stands in for Electron's BrowserWindow, which cannot run under node --test. */
class OptionsOnly {
  constructor(readonly options: BrowserWindowConstructorOptions) {}
}

test('the window is sandboxed, isolated and Node-free, with our preload only', () => {
  const { options } = newMainWindow(OptionsOnly, '/app/dist/app/preload/preload.cjs')
  assert.deepEqual({ ...options.webPreferences, spellcheck: undefined }, {
    preload: '/app/dist/app/preload/preload.cjs',
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: undefined
  })
  assert.equal(options.show, false)
})
