/**
 * The window's preload. Sandboxed preloads may only `require('electron')` and cannot be ESM, so
 * scripts/build-electron.js bundles this into one CommonJS file (dist/app/preload/preload.cjs).
 * It exposes nothing: it only hands the page its API port (see forward-port.ts).
 */
import { ipcRenderer } from 'electron'
import { forwardApiPort, type PortSink } from './forward-port.js'

// Without DOM types in this project, `window` is described by the one method we call on it.
forwardApiPort(ipcRenderer, globalThis as unknown as PortSink<unknown>)
