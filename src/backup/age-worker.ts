import { parentPort, workerData } from 'node:worker_threads'
import { Decrypter, Encrypter } from 'age-encryption'
import { errorMessage } from '../errors.js'

/** One age operation (scrypt takes seconds of CPU): run here so the node's event loop goes on. */
export interface AgeJob { op: 'encrypt' | 'decrypt'; passphrase: string; data: Uint8Array; logN?: number }
export type AgeResult = { ok: true; data: Uint8Array } | { ok: false; message: string }

async function run(job: AgeJob): Promise<Uint8Array> {
  if (job.op === 'encrypt') {
    const age = new Encrypter()
    age.setPassphrase(job.passphrase)
    if (job.logN !== undefined) age.setScryptWorkFactor(job.logN)
    return age.encrypt(job.data)
  }
  const age = new Decrypter()
  age.addPassphrase(job.passphrase)
  return age.decrypt(job.data)
}

run(workerData as AgeJob).then(
  (data) => { parentPort?.postMessage({ ok: true, data } satisfies AgeResult) },
  (err: unknown) => { parentPort?.postMessage({ ok: false, message: errorMessage(err) } satisfies AgeResult) }
)
