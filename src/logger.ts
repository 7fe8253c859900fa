/**
 * Structured logs: one JSON object per line, on stderr so stdout stays free for CLI output
 * (a relay writes them to stdout: it has no other output after its banner).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(name: string): Logger
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface LoggerInit {
  /** @default process.env.ENCLAVE_LOG ?? 'info' */
  level?: LogLevel
  write?: (line: string) => void
}

function parseLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info'
}

export function createLogger(name: string, init: LoggerInit = {}): Logger {
  const min = RANK[init.level ?? parseLevel(process.env.ENCLAVE_LOG)]
  const write = init.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < min) return
    write(JSON.stringify({ t: new Date().toISOString(), level, name, msg, ...fields }))
  }
  return {
    debug: (msg, fields) => { emit('debug', msg, fields) },
    info: (msg, fields) => { emit('info', msg, fields) },
    warn: (msg, fields) => { emit('warn', msg, fields) },
    error: (msg, fields) => { emit('error', msg, fields) },
    child: (child) => createLogger(`${name}:${child}`, { ...init, level: init.level ?? parseLevel(process.env.ENCLAVE_LOG) })
  }
}

/** A logger that records lines in memory, for tests that assert what was logged. */
export function createMemoryLogger(name = 'test'): Logger & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger(name, { level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) })
  return Object.assign(logger, { lines })
}
