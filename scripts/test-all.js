#!/usr/bin/env node
// `npm test` after set-up: lint, typecheck and every test, in two lanes so both cores work.
// Lane one checks the code and then drives the browser tests; lane two runs the node tests
// (unit and multi-process). Each lane's output is kept whole and printed as its step ends, so
// the two never interleave line by line; a failed step fails the run after both lanes end.
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { clearTimeout, setTimeout } from 'node:timers'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const logs = join(root, 'dist', 'test-lanes')
mkdirSync(logs, { recursive: true })

const lanes = [
  [
    { name: 'lint', cmd: 'npm', args: ['run', '--silent', 'lint'] },
    { name: 'typecheck', cmd: 'npm', args: ['run', '--silent', 'typecheck'] },
    { name: 'browser tests', cmd: bin('playwright'), args: ['test'] }
  ],
  [
    { name: 'node tests', cmd: process.execPath, args: [join(root, 'scripts', 'run-tests.js')] }
  ]
]

const started = Date.now()
// A step that hangs is stopped and its output printed well inside CI's 90 minutes (a whole run
// takes about 20), so the log says what hung instead of nothing at all.
const STEP_DEADLINE_MS = 45 * 60_000
const minutes = (ms) => `${(ms / 60_000).toFixed(1)} min`

/** Runs one step with its output in memory and in dist/test-lanes/<step>.log (Playwright empties test-results/); resolves to its exit status. */
function run(step) {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const file = createWriteStream(join(logs, `${step.name.replace(/\W+/g, '-')}.log`))
    const chunks = []
    // Its own process group, so a step past its deadline is stopped with everything it started.
    const child = spawn(step.cmd, step.args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const keep = (chunk) => { chunks.push(chunk); file.write(chunk) }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const overrun = setTimeout(() => {
      keep(Buffer.from(`\n${step.name}: stopped after ${minutes(STEP_DEADLINE_MS)}; the output above shows where it was\n`))
      try { process.kill(-child.pid, 'SIGKILL') } catch { /* already gone */ }
    }, STEP_DEADLINE_MS)
    child.on('close', (code, signal) => {
      clearTimeout(overrun)
      file.end()
      const status = code ?? (signal === null ? 1 : 128)
      process.stdout.write(`\n===== ${step.name}: ${status === 0 ? 'passed' : `FAILED (${signal ?? `exit ${status}`})`} in ${minutes(Date.now() - t0)} =====\n`)
      process.stdout.write(Buffer.concat(chunks))
      resolve({ name: step.name, status, ms: Date.now() - t0, output: Buffer.concat(chunks).toString('utf8') })
    })
  })
}

/** A lane's steps one after another; a failed step does not stop the ones after it (their results still count). */
async function lane(steps) {
  const results = []
  for (const step of steps) results.push(await run(step))
  return results
}

/**
 * The last lines of a run are often all a reader gets (a CI page shows an excerpt): each failed
 * test's name and the first words of its error, from the node runner's "failing tests" section
 * and Playwright's numbered failures, so the reason is there without the whole log.
 */
function digest(result) {
  const lines = result.output.split('\n')
  const start = lines.findIndex((l) => /^✖ failing tests:/.test(l))
  const from = start === -1 ? lines : lines.slice(start + 1)
  const picked = []
  for (let i = 0; i < from.length && picked.length < 40; i++) {
    const line = from[i] ?? ''
    // The node runner's failed tests, and Playwright's numbered failures (its live ✘ lines have no reason under them).
    if (!/^\s*(✖ |\d+\) \S+\.spec\.ts)/.test(line)) continue
    const reason = from.slice(i + 1, i + 12).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('at ') && !/^test at /.test(l) && !/^[✓✘✔✖]/.test(l))
    picked.push(`- ${line.trim().slice(0, 200)}\n    ${(reason ?? '').slice(0, 300)}`)
  }
  return picked.length === 0 ? '' : `\n===== ${result.name}: what failed =====\n${[...new Set(picked)].join('\n')}\n`
}

const results = (await Promise.all(lanes.map(lane))).flat()
process.stdout.write(`\n===== summary (${minutes(Date.now() - started)}) =====\n`)
for (const r of results) process.stdout.write(`${r.status === 0 ? 'passed' : 'FAILED'}  ${r.name}  ${minutes(r.ms)}\n`)
for (const r of results.filter((x) => x.status !== 0)) process.stdout.write(digest(r))
process.exit(results.every((r) => r.status === 0) ? 0 : 1)
