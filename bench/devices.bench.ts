/**
 * `npm run bench:devices` (issue 18): backing up and restoring a device's data folder with
 * 100,000 messages in 20 conversations, 1 GiB of file chunks and 50 boards, next to copying the
 * same folder with `cp -r` and archiving it with `tar` (the same bytes, with no passphrase), all
 * in the same run on a warm page cache. Making a backup copies what is already sealed (only the
 * data key is encrypted, by age with scrypt), so its target is copy speed: at least half of cp's.
 *
 * BENCH_DEVICE_MESSAGES and BENCH_DEVICE_FILE_BYTES change the sizes; BENCH_DEVICE_KEEP=1 keeps
 * the folders (for profiling).
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { readBackup } from '../src/backup/backup-reader.js'
import { restoreBackup } from '../src/backup/backup-restore.js'
import { writeBackup } from '../src/backup/backup-writer.js'
import { createMessageLog, type StoredMessage } from '../src/chat/message-log.js'
import { createLogger } from '../src/logger.js'
import { loadDataKey } from '../src/store/store-key.js'
import { openStore } from '../src/store/store.js'
import { boardUpdate } from './board-fixture.js'
import { printTable, prng, writeResults, type Row } from './stats.js'
import type { ConversationId, PeerIdString } from '../src/api/contract.js'

const MESSAGES = Number(process.env.BENCH_DEVICE_MESSAGES ?? 100_000)
const FILE_BYTES = Number(process.env.BENCH_DEVICE_FILE_BYTES ?? 1024 ** 3)
const CHUNK = 1024 * 1024
const BOARDS = 50
const CONVERSATIONS = 20
const PASS = 'bench passphrase, long enough'
const MiB = 1024 * 1024
const log = createLogger('bench', { level: 'warn' })
const random = prng(18)

const conv = (i: number): ConversationId => `ch:${i.toString(16).padStart(32, '0')}` as ConversationId
const AUTHORS: PeerIdString[] = await Promise.all(Array.from({ length: 10 }, async (_, i) => peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', createHash('sha256').update(`bench-author-${i}`).digest())).toString() as PeerIdString))
const WORDS = 'the quarterly budget review 会议 项目 进度 客户 合同 release plan deploy 部署 上线 测试 thanks please check update'.split(' ')

async function sizeOf(dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true })) total += e.isDirectory() ? await sizeOf(join(dir, e.name)) : (await stat(join(dir, e.name))).size
  return total
}

async function seed(dataDir: string): Promise<Uint8Array> {
  const dataKey = await loadDataKey(dataDir, { kind: 'key-file', path: join(dataDir, 'store.key') })
  const store = await openStore({ path: join(dataDir, 'store'), log, dataKey })
  const messages = await createMessageLog(store)
  const setup = store.batch()
  for (let c = 0; c < CONVERSATIONS; c++) messages.ensure(conv(c), setup, () => ({ kind: 'channel', name: `c${c}` }))
  await setup.write()
  const seqs = new Map<string, number>()
  for (let i = 0; i < MESSAGES; i += 2000) {
    const b = store.batch()
    for (let j = i; j < Math.min(MESSAGES, i + 2000); j++) {
      const c = Math.floor(random() * CONVERSATIONS)
      const a = Math.floor(random() * AUTHORS.length)
      const seq = (seqs.get(`${c}/${a}`) ?? 0) + 1
      seqs.set(`${c}/${a}`, seq)
      const text = Array.from({ length: 5 + Math.floor(random() * 20) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')
      const msg: StoredMessage = { conv: conv(c), author: AUTHORS[a] ?? AUTHORS[0] as PeerIdString, seq, hlc: (Date.UTC(2026, 0, 1) + j * 60_000) * 1000, text, state: 'received', mine: false }
      messages.append(b, msg, { countUnread: false })
    }
    await b.write()
  }
  // Boards as the docs service keeps them: a snapshot per doc (sealed like every value).
  const docs = store.collection<Uint8Array>('docs')
  const board = boardUpdate(2000)
  for (let i = 0; i < BOARDS; i++) await docs.put(`board-${i}`, board)
  await store.close()
  // File chunks as the blob store keeps them: random bytes stand in for sealed ones.
  for (let done = 0; done < FILE_BYTES; done += CHUNK) {
    const bytes = randomBytes(Math.min(CHUNK, FILE_BYTES - done))
    const name = createHash('sha256').update(bytes).digest('hex')
    await mkdir(join(dataDir, 'blobs', name.slice(0, 2)), { recursive: true })
    await writeFile(join(dataDir, 'blobs', name.slice(0, 2), name), bytes)
  }
  return dataKey
}

async function timed(fn: () => unknown): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

const root = await mkdtemp(join(tmpdir(), 'enclave-bench-devices-'))
try {
  const dataDir = join(root, 'device')
  await mkdir(dataDir)
  process.stdout.write(`seeding ${MESSAGES.toLocaleString('en-US')} messages, ${(FILE_BYTES / MiB).toFixed(0)} MiB of files, ${BOARDS} boards…\n`)
  const dataKey = await seed(dataDir)
  const bytes = await sizeOf(dataDir)
  // Everything read once, so every run below starts from the same warm page cache.
  execFileSync('tar', ['-cf', '/dev/null', '-C', dataDir, '.'])

  const cpMs = await timed(() => { execFileSync('cp', ['-r', dataDir, join(root, 'copy')]) })
  const cpSyncMs = await timed(() => { execFileSync('cp', ['-r', dataDir, join(root, 'copy2')]); execFileSync('sync', ['-f', join(root, 'copy2')]) })
  await rm(join(root, 'copy'), { recursive: true })
  await rm(join(root, 'copy2'), { recursive: true })
  const tarFile = join(root, 'plain.tar')
  const tarMs = await timed(() => { execFileSync('tar', ['-cf', tarFile, '-C', dataDir, '.']); execFileSync('sync', ['-f', tarFile]) })

  const store = await openStore({ path: join(dataDir, 'store'), log, dataKey })
  const file = join(root, 'device.enclave')
  let summary: Awaited<ReturnType<typeof writeBackup>> | undefined
  const backupMs = await timed(async () => { summary = await writeBackup({ store, dataKey, blobsDir: join(dataDir, 'blobs'), storeDir: join(dataDir, 'store') }, file, PASS) })
  await store.close()
  const verifyMs = await timed(() => readBackup(file, PASS, null))
  const untarMs = await timed(async () => { await mkdir(join(root, 'untar')); execFileSync('tar', ['-xf', tarFile, '-C', join(root, 'untar')]); execFileSync('sync', ['-f', join(root, 'untar')]) })
  const restoreMs = await timed(() => restoreBackup(file, PASS, join(root, 'restored'), (dir) => ({ kind: 'key-file', path: join(dir, 'store.key') })))
  const restored = await sizeOf(join(root, 'restored'))
  // The restored store opens with the restored key and reads the last message written.
  const check = await openStore({ path: join(root, 'restored', 'store'), log, dataKey: await loadDataKey(join(root, 'restored'), { kind: 'key-file', path: join(root, 'restored', 'store.key') }) })
  const boards = (await check.collection<Uint8Array>('docs').get('board-0'))?.byteLength ?? 0
  await check.close()
  const fileBytes = (await stat(file)).size

  const rate = (ms: number, n = bytes): number => n / MiB / (ms / 1000)
  const r = (v: number): string => `${v.toFixed(0)} MiB/s`
  const backupRate = rate(backupMs)
  const rows: Row[] = [
    { metric: `back up ${(bytes / MiB).toFixed(0)} MiB (synced)`, enclave: r(backupRate), baseline: `cp -r ${r(rate(cpMs))}; cp+sync ${r(rate(cpSyncMs))}; tar ${r(rate(tarMs))}`, target: '≥ 0.5× cp', met: backupRate >= 0.5 * rate(cpMs) ? 'yes' : `no (${(backupRate / rate(cpMs)).toFixed(2)}×; ${(backupRate / rate(cpSyncMs)).toFixed(2)}× cp+sync)` },
    { metric: 'check a backup (restore test)', enclave: r(rate(verifyMs, fileBytes)), baseline: '', target: '', met: '' },
    { metric: 'restore into a new folder (synced)', enclave: r(rate(restoreMs)), baseline: `tar -x + sync ${r(rate(untarMs))}`, target: '', met: '' },
    { metric: 'backup file size', enclave: `${(fileBytes / MiB).toFixed(0)} MiB`, baseline: `folder ${(bytes / MiB).toFixed(0)} MiB, restored ${(restored / MiB).toFixed(0)} MiB`, target: '', met: '' },
    { metric: 'history to a newly linked device', enclave: 'not measured', baseline: '', target: '≤ 10 s usable', met: 'linking not built yet' }
  ]
  printTable('Backup and restore (issue 18)', rows)
  if (boards === 0) throw new Error('the restored store lost the boards')
  await writeResults('devices', {
    messages: MESSAGES, fileBytes: FILE_BYTES, boards: BOARDS, folderBytes: bytes, backupFileBytes: fileBytes,
    ms: { cp: cpMs, cpSync: cpSyncMs, tar: tarMs, backup: backupMs, verify: verifyMs, untar: untarMs, restore: restoreMs },
    mibPerS: { cp: rate(cpMs), cpSync: rate(cpSyncMs), tar: rate(tarMs), backup: backupRate, verify: rate(verifyMs, fileBytes), untar: rate(untarMs), restore: rate(restoreMs) },
    entries: summary?.entries, blobs: summary?.blobs
  })
} finally {
  if (process.env.BENCH_DEVICE_KEEP === '1') process.stdout.write(`kept ${root}\n`)
  else await rm(root, { recursive: true, force: true })
}
