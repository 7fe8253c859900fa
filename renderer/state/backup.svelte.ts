import { session } from './session.svelte'
import type { BackupScheduleView, BackupStatusView, BackupSummaryView } from '../../src/api/contract'

/** The backup centre as this device's core reports it, followed across reconnects. */
class BackupState {
  status = $state.raw<BackupStatusView | null>(null)

  constructor() {
    session.onConnected((api) => {
      api.on('backup.changed', (next) => { this.status = next })
      void api.call('backup.status', {}).then((next) => { this.status = next }, () => undefined)
    })
  }

  async refresh(): Promise<void> {
    this.status = await session.api.call('backup.status', {})
  }

  create(folder: string, passphrase: string): Promise<BackupSummaryView> {
    return session.api.call('backup.create', { folder, passphrase })
  }

  verify(file: string, passphrase: string): Promise<BackupSummaryView> {
    return session.api.call('backup.verify', { file, passphrase })
  }

  async setSchedule(schedule: (BackupScheduleView & { passphrase: string }) | null): Promise<void> {
    this.status = await session.api.call('backup.setSchedule', { schedule })
  }

  /** On a device with nothing yet: the core restarts as the restored device. */
  restore(file: string, passphrase: string): Promise<BackupSummaryView> {
    return session.api.call('backup.restore', { file, passphrase })
  }
}

export const backup = new BackupState()
