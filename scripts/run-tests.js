#!/usr/bin/env node
// Runs the compiled tests (tsc -b has built dist/) with Node's test runner.
// `node scripts/run-tests.js [unit|peers|netns]` narrows the run; no argument runs everything.
// unit: files that only compute; netns: the multi-process tests inside network namespaces;
// peers: every other multi-process test (on loopback).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const scope = process.argv[2]

function walk(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])
}

/** The source of a compiled test: dist/<layer>/… mirrors the repository, except the renderer's tests (dist/renderer-tests/renderer/…). */
function sourceOf(f) {
  return join(root, relative(join(root, 'dist'), f).replace(/^renderer-tests\//, '')).replace(/\.js$/, '.ts')
}

const computing = (f) => /\/dist\/(src|app|renderer-tests|test\/mls-vectors)\//.test(f)
const inNamespaces = (f) => readFileSync(sourceOf(f), 'utf8').includes('helpers/netns.js')
const scopes = {
  unit: computing,
  peers: (f) => !computing(f) && !inNamespaces(f),
  netns: (f) => !computing(f) && inNamespaces(f)
}
if (scope !== undefined && !(scope in scopes)) {
  process.stderr.write(`unknown scope ${scope}: use one of ${Object.keys(scopes).join(', ')}, or none for every test\n`)
  process.exit(2)
}
// Only tests whose source still exists: tsc never deletes outputs of removed files.
const files = walk(join(root, 'dist'))
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => existsSync(sourceOf(f)))
  .filter((f) => scope === undefined || scopes[scope](f))
  .sort()

if (files.length === 0) {
  process.stderr.write('no test files found under dist/; run `npm run build` first\n')
  process.exit(1)
}

// Files that only compute (unit tests, the RFC 9420 vectors) run two at a time; the ones that
// start processes and wait on the network (test/peers, test/hostile, the CLI) one at a time:
// ENCLAVE_TEST_CONCURRENCY=2 measured 19.3 → 15.0 min on a quiet machine, but under load it made
// timing-bound tests fail (a stranger's grace, removal spreading), so for them it stays a knob.
const phases = [
  { files: files.filter(computing), concurrency: 2 },
  { files: files.filter((f) => !computing(f)), concurrency: Number(process.env.ENCLAVE_TEST_CONCURRENCY ?? 1) }
]
let status = 0
for (const { files: some, concurrency } of phases) {
  if (some.length === 0) continue
  // A test that never ends fails after 5 minutes (the slowest take about one; a test may set its
  // own limit) instead of holding the run until CI's time is up, and a file whose tests are done
  // exits even if something it started is still running.
  const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', '--test-force-exit', '--test-reporter=spec', ...some], {
    stdio: 'inherit',
    env: { ...process.env, ENCLAVE_LOG: process.env.ENCLAVE_LOG ?? 'warn' }
  })
  if (result.status !== 0) status = result.status ?? 1
}
process.exit(status)
