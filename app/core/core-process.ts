/**
 * Entry of the core's utility process (plain Node inside Electron): the core runs here, never in
 * main, so a crash or a long computation cannot freeze windows, and main only relays ports.
 */
import { createCore } from '../../src/index.js'
import { serveCore } from './serve-core.js'

// Every file the core writes (the store's, as LevelDB makes new ones) is readable by this user only.
process.umask(0o077)

serveCore({ parentPort: process.parentPort, createCore, exit: (code) => process.exit(code) })
