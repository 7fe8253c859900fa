/**
 * Evicts files from the OS page cache before a cold-path measurement, so the next fresh process
 * reads them from disk as after a reboot. Linux only; says which method worked, and how much of
 * the files was still cached afterwards (from `fincore`, when util-linux has it).
 */
import { spawnSync } from 'node:child_process'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface CacheDrop {
  /** How the cache was dropped, for the bench's output. */
  method: string
  /** Bytes of the given files still in the page cache afterwards; null if `fincore` is missing. */
  residentBytes: number | null
  totalBytes: number | null
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

/** Sums `fincore`'s resident and total bytes over `files`. */
function residency(files: string[]): { resident: number; total: number } | null {
  if (files.length === 0) return { resident: 0, total: 0 }
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES,SIZE', ...files], { encoding: 'utf8' })
  if (r.status !== 0) return null
  let resident = 0
  let total = 0
  for (const line of r.stdout.trim().split('\n')) {
    const [res, size] = line.trim().split(/\s+/).map(Number)
    // fincore counts whole pages: a 3-byte file has 4 KiB resident.
    resident += Math.min(res ?? 0, size ?? 0)
    total += size ?? 0
  }
  return { resident, total }
}

/**
 * Drops the whole page cache (`sync; echo 1 > /proc/sys/vm/drop_caches`) where allowed (root
 * outside a locked-down container), else asks the kernel to drop each file under `dirs`
 * (`posix_fadvise(DONTNEED)`, as `dd oflag=nocache count=0` does), after flushing it: only clean
 * pages can be dropped. `BENCH_DROP_CACHE=files` forces the per-file way, which leaves other
 * people's cached files alone on a shared machine.
 */
export async function dropPageCache(dirs: string[]): Promise<CacheDrop> {
  const files = (await Promise.all(dirs.map(filesUnder))).flat()
  spawnSync('sync')
  let method: string | undefined
  if (process.env.BENCH_DROP_CACHE !== 'files') {
    try {
      await writeFile('/proc/sys/vm/drop_caches', '1\n')
      method = 'whole page cache (echo 1 > /proc/sys/vm/drop_caches)'
    } catch {
      method = undefined
    }
  }
  if (method === undefined) {
    let failed = 0
    for (const file of files) {
      const r = spawnSync('dd', [`of=${file}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0'], { stdio: 'ignore' })
      if (r.status !== 0) failed++
    }
    method = `per file, posix_fadvise(DONTNEED) via dd oflag=nocache (${files.length - failed} of ${files.length} files)`
  }
  const after = residency(files)
  return { method, residentBytes: after?.resident ?? null, totalBytes: after?.total ?? null }
}

/** One line for the bench's output: the method, and what stayed cached. */
export function describeDrop(drop: CacheDrop): string {
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`
  const left = drop.residentBytes === null || drop.totalBytes === null ? 'residency unknown (no fincore)' : `${mib(drop.residentBytes)} of ${mib(drop.totalBytes)} still cached`
  return `page cache dropped: ${drop.method}; ${left}`
}
