import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './node-process.js'

const run = promisify(execFile)
const BIN = join(repoRoot(), 'bin', 'enclave.js')

/** Runs the `enclave` command as a user would; never throws, returns exit code and output. */
export async function enclave(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return enclaveWithEnv({}, ...args)
}

export async function enclaveWithEnv(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}
