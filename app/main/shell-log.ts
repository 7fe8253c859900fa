/**
 * The main process logs exactly like the core (one JSON object per line on stderr), so both
 * processes' lines read and filter (ENCLAVE_LOG) as one stream. Both modules are dependency-free
 * leaves of the core, safe to load in main without pulling libp2p in.
 */
import { errorMessage } from '../../src/errors.js'
import { createLogger, type Logger } from '../../src/logger.js'

export type ShellLog = Logger

export function createShellLog(name: string, write?: (line: string) => void): ShellLog {
  return createLogger(name, write === undefined ? {} : { write })
}

/** Some rejections are not Errors (libp2p Events, strings): give every one a message. */
export const messageOf = errorMessage
