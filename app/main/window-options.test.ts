import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mainWindowOptions } from './window-options.js'

test('the window is sandboxed, isolated and Node-free, with our preload only', () => {
  const { webPreferences } = mainWindowOptions('/app/dist/app/preload/preload.cjs')
  assert.deepEqual({ ...webPreferences, spellcheck: undefined }, {
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
})
