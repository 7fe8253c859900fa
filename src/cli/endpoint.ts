import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { EnclaveError } from '../errors.js'

/** Where a running node tells local clients how to reach its API. Readable by its owner only. */
export interface Endpoint {
  url: string
  token: string
  pid: number
}

export const ENDPOINT_FILE = 'api.json'

export function defaultDataDir(): string {
  return process.env.ENCLAVE_DATA ?? join(homedir(), '.enclave')
}

export async function writeEndpoint(dataDir: string, endpoint: Endpoint): Promise<string> {
  const path = join(dataDir, ENDPOINT_FILE)
  // Written 0600 from the first byte: the token is as good as the user's keys while the node runs.
  await writeFile(path, JSON.stringify(endpoint, null, 2) + '\n', { mode: 0o600 })
  await chmod(path, 0o600)
  return path
}

export async function removeEndpoint(dataDir: string): Promise<void> {
  await rm(join(dataDir, ENDPOINT_FILE), { force: true })
}

export async function readEndpoint(dataDir: string): Promise<Endpoint> {
  let text: string
  try {
    text = await readFile(join(dataDir, ENDPOINT_FILE), 'utf8')
  } catch {
    throw new EnclaveError('node-not-running', `no node is running for ${dataDir} (start one with: enclave node --data ${dataDir})`)
  }
  const parsed = JSON.parse(text) as Partial<Endpoint>
  if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') throw new EnclaveError('bad-request', `${join(dataDir, ENDPOINT_FILE)} is damaged`)
  return { url: parsed.url, token: parsed.token, pid: parsed.pid ?? 0 }
}
