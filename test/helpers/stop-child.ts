import type { ChildProcess } from 'node:child_process'

/** Longer than the node's own stop deadline (15 s), so its 'stop overran' line is in the logs. */
const STOP_WAIT_MS = 20_000

// Nodes a failed or timed-out test never stopped: killed when the test file's process exits (the
// runner forces that exit), so none outlives its test file or holds its pipes open.
const running = new Set<ChildProcess>()
process.once('exit', () => { for (const child of running) child.kill('SIGKILL') })

/** Tracks a started node so it is killed if the test file ends with it still running. */
export function killAtExit(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => { running.delete(child) })
}

/**
 * Signals a node and waits for it to exit. One that does not is a bug to see, not a test run to
 * hang on: it is killed, and the stop throws, naming it and `context` (its last log lines).
 */
export async function stopChild(child: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals, what: string, context: () => string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const stuck = new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(true) }, STOP_WAIT_MS) })
  const hung = await Promise.race([exited.then(() => false), stuck])
  clearTimeout(timer)
  if (!hung) return
  child.kill('SIGKILL')
  await exited
  throw new Error(`${what} did not exit within ${STOP_WAIT_MS / 1000} s of ${signal}: ${context()}`)
}
