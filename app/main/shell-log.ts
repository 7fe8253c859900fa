/**
 * The main process's log: one JSON object per line on stderr, the same shape the core writes, so
 * both processes' lines can be read (and filtered with ENCLAVE_LOG) as one stream.
 */
export type ShellLogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface ShellLog {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(name: string): ShellLog
}

const RANK: Record<ShellLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

function levelFrom(value: string | undefined): ShellLogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info'
}

export function createShellLog(name: string, write: (line: string) => void = (line) => process.stderr.write(line + '\n')): ShellLog {
  const min = RANK[levelFrom(process.env.ENCLAVE_LOG)]
  const emit = (level: ShellLogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < min) return
    write(JSON.stringify({ t: new Date().toISOString(), level, name, msg, ...fields }))
  }
  return {
    debug: (msg, fields) => { emit('debug', msg, fields) },
    info: (msg, fields) => { emit('info', msg, fields) },
    warn: (msg, fields) => { emit('warn', msg, fields) },
    error: (msg, fields) => { emit('error', msg, fields) },
    child: (child) => createShellLog(`${name}:${child}`, write)
  }
}

/** Some rejections are not Errors (libp2p Events, strings): give every one a message. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
