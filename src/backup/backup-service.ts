import { randomBytes } from 'node:crypto'
import { readdir, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { EnclaveError, errorMessage, toApiError } from '../errors.js'
import { readBackup, summaryOf } from './backup-reader.js'
import { restoreBackup } from './backup-restore.js'
import { checkPassphrase, writeBackup, type BackupProgress, type BackupSource, type BackupSummary } from './backup-writer.js'
import type { BackupRunView, BackupScheduleView, BackupStatusView, BackupSummaryView, Emit } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Collection } from '../store/store.js'
import type { KeyProtection } from '../store/store-key.js'

export interface BackupServiceInit {
  source: BackupSource
  dataDir: string
  /** When the backup this device was restored from was made (ms), or null. */
  restoredFrom: number | null
  /** Sealed: the schedule (with its passphrase) and the last runs. */
  meta: Collection<unknown>
  emit: Emit
  log: Logger
  /** The workspaces' rule for backups of this device (the strictest). @default always 'optional' */
  policy?: () => BackupStatusView['policy']
  /** age's scrypt cost (tests lower it). @default age's */
  scryptLogN?: number
  /**
   * Restoring in place (`backup.restore`), where the shell can: the device has nothing yet, how
   * the restored store's key is kept, and the shell's swap of data folders and restart.
   */
  restoreInPlace?: {
    isFresh(): Promise<boolean>
    /** Null where the shell keeps the key itself (Electron's safeStorage): not supported there yet. */
    protection(dir: string): KeyProtection | null
    replaceData(staged: string): Promise<void>
  }
}

export interface BackupService {
  status(): BackupStatusView
  create(folder: string, passphrase: string): Promise<BackupSummaryView>
  verify(file: string, passphrase: string): Promise<BackupSummaryView>
  restore(file: string, passphrase: string): Promise<BackupSummaryView>
  setSchedule(schedule: (BackupScheduleView & { passphrase: string }) | null): Promise<BackupStatusView>
  start(): void
  stop(): Promise<void>
}

const SCHEDULE_KEY = 'backupSchedule'
const RUNS_KEY = 'backupRuns'
/** Backups this service names, and may delete when more than `keep` are in the folder. */
const OWN_NAME = /^enclave-backup-(\d{8}-\d{6})(?:-(\d+))?\.enclave$/
/** A due backup that failed (the disk was not plugged in) is tried again this soon. */
const RETRY_MS = 60 * 60 * 1000
/** The schedule is looked at at least this often, so a long sleep of the machine is noticed. */
const CHECK_MS = 10 * 60 * 1000
const PROGRESS_MS = 250

const storedSchedule = z.object({ folder: z.string(), everyHours: z.number(), keep: z.number(), passphrase: z.string() }).strict()
const storedRuns = z.object({ lastBackup: z.unknown().nullable(), lastVerify: z.unknown().nullable() }).strict()

function fileName(at: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return `enclave-backup-${at.getFullYear()}${two(at.getMonth() + 1)}${two(at.getDate())}-${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}.enclave`
}

async function folderExists(folder: string): Promise<void> {
  const info = await stat(folder).catch(() => undefined)
  if (info === undefined) throw new EnclaveError('not-found', `the folder ${folder} does not exist (is its disk connected?)`)
  if (!info.isDirectory()) throw new EnclaveError('bad-request', `${folder} is not a folder`)
}

/**
 * The backup centre on a running device (docs/backup.md): backups made now or on a schedule into
 * a folder (a USB disk, a network share), and restore tests. One runs at a time.
 */
export async function createBackupService(init: BackupServiceInit): Promise<BackupService> {
  const { meta, emit, log } = init
  const parsedSchedule = storedSchedule.safeParse(await meta.get(SCHEDULE_KEY))
  let schedule = parsedSchedule.success ? parsedSchedule.data : null
  const parsedRuns = storedRuns.safeParse(await meta.get(RUNS_KEY))
  let lastBackup = parsedRuns.success ? parsedRuns.data.lastBackup as BackupRunView | null : null
  let lastVerify = parsedRuns.success ? parsedRuns.data.lastVerify as BackupRunView | null : null
  const { restoredFrom } = init
  let running: BackupStatusView['running'] = null
  let job: Promise<unknown> | null = null
  let nextAt: number | null = null
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let lastProgress = 0
  const abort = new AbortController()

  const policyNow = (): BackupStatusView['policy'] => init.policy?.() ?? 'optional'
  const allowed = (): void => {
    if (policyNow() === 'forbidden') throw new EnclaveError('blocked-by-policy', 'your workspace does not allow backups of this device')
  }
  const status = (): BackupStatusView => ({
    schedule: schedule === null ? null : { folder: schedule.folder, everyHours: schedule.everyHours, keep: schedule.keep },
    lastBackup,
    lastVerify,
    running: running === null ? null : { ...running },
    nextAt,
    restoredFrom,
    policy: policyNow()
  })
  const changed = (): void => { emit('backup.changed', status()) }
  const progress = (kind: BackupRunView['kind']) => (p: BackupProgress): void => {
    running = { kind, bytes: p.bytes, totalBytes: p.totalBytes }
    const now = Date.now()
    if (now - lastProgress >= PROGRESS_MS) { lastProgress = now; changed() }
  }

  /** Runs one job at a time and records how it ended. */
  const run = async (kind: BackupRunView['kind'], scheduled: boolean, work: () => Promise<BackupSummary>): Promise<BackupSummaryView> => {
    if (job !== null) throw new EnclaveError('rate-limited', 'a backup or a check is under way; try again when it ends')
    running = { kind, bytes: 0, totalBytes: 0 }
    changed()
    const done = work()
    job = done
    let record: BackupRunView = { kind, at: 0, ok: false, scheduled }
    try {
      const summary = await done
      record = { kind, at: Date.now(), ok: true, summary, scheduled }
      return summary
    } catch (err) {
      record = { kind, at: Date.now(), ok: false, error: toApiError(err), scheduled }
      throw err
    } finally {
      job = null
      running = null
      // The next scheduled time moves with the last backup, in the same turn: a status never
      // shows a new backup beside the old due time.
      if (kind === 'create') { lastBackup = record; plan() } else if (kind === 'verify') lastVerify = record
      await meta.put(RUNS_KEY, { lastBackup, lastVerify }).catch((err: unknown) => { log.warn('could not keep the backup record', { error: errorMessage(err) }) })
      log.info({ create: 'backup made', verify: 'backup checked', restore: 'backup restored' }[kind], { ok: record.ok, scheduled, ...(record.error === undefined ? {} : { code: record.error.code }) })
      changed()
    }
  }

  const create = async (folder: string, passphrase: string, scheduled = false): Promise<BackupSummaryView> => {
    allowed()
    checkPassphrase(passphrase)
    return run('create', scheduled, async () => {
      await folderExists(folder)
      let file = join(folder, fileName(new Date()))
      for (let n = 2; await stat(file).then(() => true, () => false); n++) file = join(folder, fileName(new Date()).replace(/\.enclave$/, `-${n}.enclave`))
      const summary = await writeBackup(init.source, file, passphrase, { onProgress: progress('create'), signal: abort.signal, ...(init.scryptLogN === undefined ? {} : { scryptLogN: init.scryptLogN }) })
      if (schedule !== null && folder === schedule.folder) await prune(folder, schedule.keep)
      return summary
    })
  }

  /** Keeps the newest `keep` of this service's backups in the folder; other files are never touched. */
  const prune = async (folder: string, keep: number): Promise<void> => {
    // Oldest first: by the time in the name, then by the number added when one second made two.
    const order = (name: string): string => { const m = OWN_NAME.exec(name); return `${m?.[1] ?? ''}-${(m?.[2] ?? '1').padStart(6, '0')}` }
    const own = (await readdir(folder)).filter((n) => OWN_NAME.test(n)).sort((a, b) => order(a).localeCompare(order(b)))
    for (const name of own.slice(0, Math.max(0, own.length - keep))) {
      await rm(join(folder, name), { force: true }).catch((err: unknown) => { log.warn('could not remove an old backup', { error: errorMessage(err) }) })
    }
  }

  const verify = (file: string, passphrase: string): Promise<BackupSummaryView> => run('verify', false, async () => {
    return summaryOf(file, await readBackup(file, passphrase, null, { onProgress: progress('verify'), signal: abort.signal }))
  })

  /**
   * Restores into a folder beside the data folder, then lets the shell swap the two and restart
   * the core on it, once this reply has gone out.
   */
  const restore = async (file: string, passphrase: string): Promise<BackupSummaryView> => {
    const host = init.restoreInPlace
    if (host === undefined) throw new EnclaveError('bad-request', 'this node cannot restore in place: use enclave backup restore FILE --data NEW_DIR')
    if (!await host.isFresh()) throw new EnclaveError('bad-request', 'this device already has conversations or a workspace: restore into a new data folder instead')
    const staged = `${init.dataDir}.restore-${randomBytes(6).toString('hex')}`
    if (host.protection(staged) === null) throw new EnclaveError('bad-request', 'restoring in place is not supported in this app yet: use enclave backup restore')
    // The key is kept in the folder being filled (a key file there moves with it).
    const protection = (dir: string): KeyProtection => host.protection(dir) ?? { kind: 'key-file', path: join(dir, 'store.key') }
    return run('restore', false, async () => {
      const summary = await restoreBackup(file, passphrase, staged, protection, { onProgress: progress('restore'), signal: abort.signal })
      setTimeout(() => {
        host.replaceData(staged).catch((err: unknown) => { log.error('could not start the restored device', { error: errorMessage(err) }) })
      }, 200).unref()
      return summary
    })
  }

  /** When the next scheduled backup is due: an interval after the last one that went well. */
  const plan = (): void => {
    clearTimeout(timer)
    if (stopped || schedule === null) { nextAt = null; return }
    const everyMs = schedule.everyHours * 3600_000
    const lastOk = lastBackup?.ok === true && lastBackup.summary !== undefined && dirname(lastBackup.summary.file) === schedule.folder ? lastBackup.at : 0
    const failedAt = lastBackup?.ok === false && lastBackup.scheduled ? lastBackup.at : 0
    nextAt = Math.max(lastOk + everyMs, failedAt + RETRY_MS, Date.now())
    timer = setTimeout(tick, Math.min(CHECK_MS, Math.max(0, nextAt - Date.now()))).unref()
  }
  const tick = (): void => {
    if (stopped || schedule === null || nextAt === null) return
    if (Date.now() < nextAt) { plan(); return }
    // Due, but a backup or check is running, or a workspace forbids backups now (the schedule
    // stays: the rule may change): look again later, not at once.
    if (job !== null || policyNow() === 'forbidden') { timer = setTimeout(tick, job !== null ? 60_000 : CHECK_MS).unref(); return }
    const { folder, passphrase } = schedule
    create(folder, passphrase, true)
      .catch((err: unknown) => { log.warn('scheduled backup failed', { error: errorMessage(err) }) })
      .finally(() => { plan(); changed() })
  }

  const setSchedule = async (next: (BackupScheduleView & { passphrase: string }) | null): Promise<BackupStatusView> => {
    if (next !== null) {
      allowed()
      checkPassphrase(next.passphrase)
      await folderExists(next.folder)
    }
    await (next === null ? meta.del(SCHEDULE_KEY) : meta.put(SCHEDULE_KEY, next))
    schedule = next
    plan()
    changed()
    return status()
  }

  return {
    status,
    create: (folder, passphrase) => create(folder, passphrase),
    verify,
    restore,
    setSchedule,
    start: plan,
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      abort.abort()
      await job?.catch(() => undefined)
    }
  }
}
