import { Worker } from 'node:worker_threads'
import type { AgeJob, AgeResult } from './age-worker.js'

/**
 * age (passphrase, scrypt at work factor 18 by default) on a worker thread: its scrypt is
 * synchronous JavaScript and takes about two seconds here, which on the node's own thread would
 * stall every conversation for as long at each backup, check and restore.
 */
function runAge(job: AgeJob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./age-worker.js', import.meta.url), { workerData: job })
    // The worker ends by itself once it has answered: terminate() on a thread still winding
    // down can bring the whole process down with it (nodejs/node#38418).
    let answered = false
    worker.once('message', (result: AgeResult) => {
      answered = true
      if (result.ok) resolve(result.data)
      else reject(new Error(result.message))
    })
    worker.once('error', reject)
    worker.once('exit', (code) => { if (!answered) reject(new Error(`age worker exited with ${code} before answering`)) })
  })
}

export function ageEncrypt(data: Uint8Array, passphrase: string, logN?: number): Promise<Uint8Array> {
  return runAge({ op: 'encrypt', passphrase, data, ...(logN === undefined ? {} : { logN }) })
}

/** Rejects with age's own words: "no identity matched…" for a wrong passphrase. */
export function ageDecrypt(data: Uint8Array, passphrase: string): Promise<Uint8Array> {
  return runAge({ op: 'decrypt', passphrase, data })
}
