/**
 * The API's views of the backup centre: part of the contract (which re-exports them), kept in a
 * file of their own to keep contract.ts readable.
 */

/** Automatic backups: into `folder`, every `everyHours`, keeping the newest `keep` files there. */
export interface BackupScheduleView {
  folder: string
  everyHours: number
  keep: number
}

/** A backup made or checked. */
export interface BackupSummaryView {
  file: string
  /** When the backup was made (ms). */
  created: number
  bytes: number
  /** Store entries and file chunks it holds. */
  entries: number
  blobs: number
  blobBytes: number
}

export interface BackupRunView {
  kind: 'create' | 'verify' | 'restore'
  /** When it ended (ms). */
  at: number
  ok: boolean
  /** A made or checked backup, when it went well. */
  summary?: BackupSummaryView
  /** Why it failed: an error code and its words. */
  error?: { code: string; message: string }
  /** Started by the schedule rather than by a person. */
  scheduled: boolean
}

export interface BackupStatusView {
  schedule: BackupScheduleView | null
  /** The newest backup made, and the newest check. */
  lastBackup: BackupRunView | null
  lastVerify: BackupRunView | null
  /** A backup or check under way: bytes done of about how many. */
  running: { kind: BackupRunView['kind']; bytes: number; totalBytes: number } | null
  /** The next scheduled backup (ms), when there is a schedule. */
  nextAt: number | null
  /** This device was restored from a backup made then (ms); null if it never was. */
  restoredFrom: number | null
  /** The strictest rule of this device's workspaces: backups up to the user, required, or forbidden. */
  policy: 'optional' | 'required' | 'forbidden'
}
