/**
 * glibc's malloc maps and unmaps every buffer of ~1 MiB and more (a file chunk, its sealed copy,
 * the frames it travels in) and the kernel faults the pages in again each time. With these
 * thresholds glibc keeps such buffers in its heap. bench:files, one holder, 1 GiB, each way
 * measured first in runs of its own (two each): 164–187 MiB/s and 5.3–7.0 s of receiver CPU per
 * GiB without them, 201–219 MiB/s and 4.3–4.8 s with them.
 * glibc reads them only when a process starts, so whatever starts a core sets them: the desktop
 * app when it forks the core, `npm start` for the browser shell, and the `enclave` command's
 * shebang. An operator's own values win. Other C libraries ignore them.
 */
export const CORE_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '8388608', MALLOC_TRIM_THRESHOLD_: '67108864' } as const

/** The environment for a core process: `env` with the malloc thresholds where it sets none. */
export function coreProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...CORE_MALLOC_ENV, ...env }
}
