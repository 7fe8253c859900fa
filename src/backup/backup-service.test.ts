import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { createLogger } from '../logger.js'
import { loadDataKey } from '../store/store-key.js'
import { openStore, type Store } from '../store/store.js'
import { waitFor } from '../wait-for.js'
import { createBackupService, type BackupServiceInit } from './backup-service.js'
import type { BackupStatusView } from '../api/contract.js'

const PASS = 'correct horse battery'
const log = createLogger('test', { level: 'error' })
let root: string
let store: Store
let init: BackupServiceInit
const events: BackupStatusView[] = []

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'enclave-backup-service-'))
  const dataDir = join(root, 'data')
  await mkdir(dataDir)
  const dataKey = await loadDataKey(dataDir, { kind: 'key-file', path: join(dataDir, 'store.key') })
  store = await openStore({ path: join(dataDir, 'store'), log, dataKey })
  await store.collection<string>('meta').put('profile', 'Ada')
  init = {
    source: { store, dataKey, blobsDir: join(dataDir, 'blobs'), storeDir: join(dataDir, 'store') },
    dataDir,
    restoredFrom: null,
    meta: store.collection('meta'),
    emit: (name, payload) => { if (name === 'backup.changed') events.push(payload as BackupStatusView) },
    log,
    scryptLogN: 10
  }
})
after(async () => {
  await store.close()
  await rm(root, { recursive: true, force: true })
})

test('a schedule backs up at once when none was made, keeps the newest N of its own files, and survives a restart', async () => {
  const usb = join(root, 'usb')
  const service = await createBackupService(init)
  service.start()
  await assert.rejects(service.setSchedule({ folder: usb, everyHours: 24, keep: 2, passphrase: PASS }), (e: unknown) => e instanceof EnclaveError && e.code === 'not-found')
  await mkdir(usb)
  await writeFile(join(usb, 'holiday.jpg'), 'not a backup')
  await assert.rejects(service.setSchedule({ folder: usb, everyHours: 24, keep: 2, passphrase: 'short' }), (e: unknown) => e instanceof EnclaveError && e.code === 'bad-request')

  await service.setSchedule({ folder: usb, everyHours: 24, keep: 2, passphrase: PASS })
  const first = await waitFor('the first scheduled backup', () => { const s = service.status(); return s.lastBackup?.ok === true ? s.lastBackup : undefined })
  assert.equal(first.scheduled, true)
  const nextAt = service.status().nextAt ?? 0
  assert.ok(Math.abs(nextAt - (first.at + 24 * 3600_000)) < 60_000, 'the next one is a day later')
  assert.ok(events.some((e) => e.running?.kind === 'create'), 'progress was announced')

  // Backups made by hand into the schedule's folder count too; only this service's files go.
  // Made within a second of each other, the later ones get -2, -3: still the newest.
  const second = await service.create(usb, PASS)
  const newest = (await service.create(usb, PASS)).file.slice(usb.length + 1)
  const files = (await readdir(usb)).sort()
  assert.equal(files.length, 3)
  assert.ok(files.includes('holiday.jpg') && files.includes(newest) && files.includes(second.file.slice(usb.length + 1)), files.join(', '))
  const checked = await service.verify(join(usb, newest), PASS)
  assert.equal(checked.file, join(usb, newest))
  await assert.rejects(service.verify(join(usb, newest), 'wrong passphrase'), (e: unknown) => e instanceof EnclaveError && e.code === 'backup-locked')
  assert.equal(service.status().lastVerify?.ok, false)
  assert.equal(service.status().lastVerify?.error?.code, 'backup-locked')
  await service.stop()

  const again = await createBackupService(init)
  const status = again.status()
  assert.deepEqual(status.schedule, { folder: usb, everyHours: 24, keep: 2 })
  assert.equal(status.lastBackup?.ok, true)
  assert.equal(JSON.stringify(status).includes(PASS), false, 'the passphrase never leaves the device')
  await again.setSchedule(null)
  assert.equal(again.status().nextAt, null)
  await again.stop()
})

test('a schedule that falls due while a workspace forbids backups waits, without spinning, and makes none', async () => {
  const usb = join(root, 'usb-forbidden')
  await mkdir(usb)
  let rule: 'optional' | 'forbidden' = 'optional'
  let asked = 0
  const meta = store.collection<unknown>('meta')
  await meta.del('backupRuns')
  const service = await createBackupService({ ...init, policy: () => { asked++; return rule } })
  service.start()
  await service.setSchedule({ folder: usb, everyHours: 24, keep: 2, passphrase: PASS })
  // Forbidden before the first (due at once) run starts: the run waits for the rule to change.
  rule = 'forbidden'
  asked = 0
  await waitFor('the due run to find the rule', () => asked >= 1)
  // Twenty turns of the event loop: a schedule that looked again at once would ask every turn.
  const before = asked
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0))
  assert.ok(asked - before < 3, `the rule was asked ${asked - before} more times in 20 turns`)
  assert.deepEqual(await readdir(usb), [])
  assert.equal(service.status().lastBackup, null)
  await service.setSchedule(null)
  await service.stop()
})
