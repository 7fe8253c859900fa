import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { readBackup, summaryOf } from '../backup/backup-reader.js'
import { restoreBackup } from '../backup/backup-restore.js'
import { UsageError } from './cli-error.js'
import { formatBytes } from './format.js'
import type { ApiClient } from '../api/api-client.js'
import type { BackupStatusView, BackupSummaryView } from '../api/contract.js'
import type { BackupProgress } from '../backup/backup-writer.js'
import type { KeyProtection } from '../store/store-key.js'

export interface BackupCommandOptions {
  /** The backup's own passphrase: --backup-passphrase-file, else ENCLAVE_BACKUP_PASSPHRASE. */
  passphraseFile: string | undefined
  to: string | undefined
  every: string | undefined
  keep: string | undefined
  off: boolean
  /** For restore: how the new data folder's store key is kept (--passphrase-file / --key-file). */
  storeKey: KeyProtection | undefined
}

export interface BackupCommandEnv {
  dataDir: string
  /** Runs `fn` against the node running for the data folder. */
  withClient: <T>(fn: (api: ApiClient) => Promise<T>) => Promise<T>
  out: (line: string) => void
  asJson: boolean
}

async function backupPassphrase(opts: BackupCommandOptions): Promise<string> {
  if (opts.passphraseFile !== undefined) {
    const text = await readFile(opts.passphraseFile, 'utf8').catch(() => { throw new UsageError(`cannot read ${opts.passphraseFile ?? ''}`, 'backup') })
    return text.replace(/\r?\n$/, '')
  }
  const fromEnv = process.env.ENCLAVE_BACKUP_PASSPHRASE
  if (fromEnv === undefined || fromEnv === '') throw new UsageError('give the backup passphrase with --backup-passphrase-file FILE or ENCLAVE_BACKUP_PASSPHRASE', 'backup')
  return fromEnv
}

/** Progress on stderr when it is a terminal: a line rewritten in place. */
function progressLine(what: string): ((p: BackupProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  let last = -1
  return (p) => {
    const percent = p.totalBytes === 0 ? 0 : Math.floor((100 * p.bytes) / p.totalBytes)
    if (percent === last) return
    last = percent
    process.stderr.write(`\r${what} ${percent}% (${formatBytes(p.bytes)})`)
    if (percent >= 100) process.stderr.write('\n')
  }
}

const summaryLine = (s: BackupSummaryView): string =>
  `${s.file}: ${formatBytes(s.bytes)}, ${s.entries} store entries, ${s.blobs} file chunks (${formatBytes(s.blobBytes)}), made ${new Date(s.created).toLocaleString()}`

function statusLines(s: BackupStatusView): string[] {
  const lines = [s.schedule === null ? 'No automatic backups.' : `Automatic backups every ${s.schedule.everyHours} h into ${s.schedule.folder}, keeping ${s.schedule.keep}${s.nextAt === null ? '' : `; next ${new Date(s.nextAt).toLocaleString()}`}.`]
  for (const run of [s.lastBackup, s.lastVerify]) {
    if (run === null) continue
    const what = run.kind === 'create' ? 'Last backup' : 'Last check'
    lines.push(run.ok && run.summary !== undefined ? `${what}: ${summaryLine(run.summary)}` : `${what} failed ${new Date(run.at).toLocaleString()}: ${run.error?.message ?? ''} (${run.error?.code ?? ''})`)
  }
  if (s.restoredFrom !== null) lines.push(`This device was restored from a backup made ${new Date(s.restoredFrom).toLocaleString()}.`)
  return lines
}

function hours(text: string): number {
  const match = /^(\d+)\s*([hd])$/.exec(text.trim())
  if (match?.[1] === undefined) throw new UsageError('--every takes hours or days, e.g. 12h or 1d', 'backup')
  return Number(match[1]) * (match[2] === 'd' ? 24 : 1)
}

/**
 * `enclave backup create|verify|restore|schedule|status`. Making a backup and the schedule go
 * through the running node (it holds the store); checking and restoring need no node.
 */
export async function runBackupCommand(positionals: string[], opts: BackupCommandOptions, env: BackupCommandEnv): Promise<void> {
  const [sub, file, extra] = positionals
  const { out, asJson } = env
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, 'backup')
  const print = (summary: BackupSummaryView): void => { if (asJson) out(JSON.stringify(summary, null, 2)); else out(summaryLine(summary)) }
  switch (sub) {
    case 'create': {
      const passphrase = await backupPassphrase(opts)
      const summary = await env.withClient(async (api) => {
        const folder = opts.to ?? (await api.call('backup.status', {})).schedule?.folder
        if (folder === undefined) throw new UsageError('give the folder to back up into with --to FOLDER', 'backup')
        return api.call('backup.create', { folder: resolve(folder), passphrase })
      })
      print(summary)
      return
    }
    case 'verify': {
      if (file === undefined) throw new UsageError('missing FILE', 'backup')
      const onProgress = progressLine('Checking')
      print(summaryOf(resolve(file), await readBackup(resolve(file), await backupPassphrase(opts), null, onProgress === undefined ? {} : { onProgress })))
      if (!asJson) out('The backup is whole and the passphrase is right.')
      return
    }
    case 'restore': {
      if (file === undefined) throw new UsageError('missing FILE', 'backup')
      const onProgress = progressLine('Restoring')
      const protection = opts.storeKey ?? ((dir: string): KeyProtection => ({ kind: 'key-file', path: join(dir, 'store.key') }))
      const summary = await restoreBackup(resolve(file), await backupPassphrase(opts), env.dataDir, protection, onProgress === undefined ? {} : { onProgress })
      print(summary)
      if (!asJson) out(`Restored into ${resolve(env.dataDir)}. Start Enclave with --data ${env.dataDir}; it catches up with colleagues when it connects.`)
      return
    }
    case 'schedule': {
      if (opts.off) {
        const status = await env.withClient((api) => api.call('backup.setSchedule', { schedule: null }))
        if (asJson) out(JSON.stringify(status, null, 2)); else out(statusLines(status).join('\n'))
        return
      }
      if (opts.to === undefined) throw new UsageError('give the folder with --to FOLDER (or --off)', 'backup')
      const keep = Number(opts.keep ?? '7')
      if (!Number.isInteger(keep) || keep < 1) throw new UsageError('--keep takes a whole number of backups, 1 or more', 'backup')
      const schedule = { folder: resolve(opts.to), everyHours: hours(opts.every ?? '24h'), keep, passphrase: await backupPassphrase(opts) }
      const status = await env.withClient((api) => api.call('backup.setSchedule', { schedule }))
      if (asJson) out(JSON.stringify(status, null, 2)); else out(statusLines(status).join('\n'))
      return
    }
    case 'status':
    case undefined: {
      const status = await env.withClient((api) => api.call('backup.status', {}))
      if (asJson) out(JSON.stringify(status, null, 2)); else out(statusLines(status).join('\n'))
      return
    }
    default:
      throw new UsageError(`unknown backup command '${sub}'`, 'backup')
  }
}
