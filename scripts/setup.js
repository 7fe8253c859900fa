#!/usr/bin/env node
// Makes a fresh clone runnable. Only Node built-ins here: nothing else may be installed yet.
//   node scripts/setup.js            install locked dependencies if missing or stale
//   node scripts/setup.js --build    … then compile every layer (core, app, renderer, preload)
//   node scripts/setup.js --browser  … and make sure Debian's Chromium is there (e2e tests)
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
export const CHROMIUM = process.env.ENCLAVE_CHROMIUM ?? '/usr/bin/chromium'

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } })
  if (result.status !== 0) {
    process.stderr.write(`enclave setup: ${command} ${args.join(' ')} failed\n`)
    process.exit(result.status ?? 1)
  }
}

export function ensureDependencies() {
  const lock = join(root, 'package-lock.json')
  const installed = join(root, 'node_modules', '.package-lock.json')
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return
  // A checkout that links another's node_modules (a git worktree) must not reinstall through the
  // link: npm ci would empty the other checkout's copy first. Its owner keeps it installed.
  if (existsSync(join(root, 'node_modules')) && lstatSync(join(root, 'node_modules')).isSymbolicLink()) return
  process.stderr.write('enclave: installing dependencies (npm ci)…\n')
  // Electron's binary download is blocked on some machines; the shells say when it is missing.
  run('npm', ['ci', '--no-audit', '--no-fund'], { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })
}

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (!root) {
    process.stderr.write(`enclave: the browser tests need Chromium at ${CHROMIUM}; install it (Debian: sudo apt-get install chromium) or set ENCLAVE_CHROMIUM\n`)
    process.exit(1)
  }
  process.stderr.write('enclave: installing Chromium for the browser tests (apt-get install chromium)…\n')
  run('apt-get', ['update', '-qq'])
  run('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-noto-cjk'], { DEBIAN_FRONTEND: 'noninteractive' })
}

/**
 * tcpdump and iptables, for the network-namespace tests (what a relay sees; a home NAT). Installed
 * only where we may (root, Debian's apt); elsewhere those tests skip with the reason printed.
 */
export function ensureNetTools() {
  const missing = ['tcpdump', 'iptables'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' }).status !== 0)
  if (missing.length === 0 || typeof process.getuid !== 'function' || process.getuid() !== 0) return
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return
  process.stderr.write(`enclave: installing ${missing.join(' and ')} for the network tests (apt-get install)…\n`)
  const r = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (r.status !== 0) process.stderr.write(`enclave: could not install ${missing.join(' and ')}; the tests needing them will be skipped\n`)
}

export async function build() {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'])
  run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'])
  const { buildElectron } = await import('./build-electron.js')
  await buildElectron()
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureDependencies()
  if (process.argv.includes('--browser')) { ensureChromium(); ensureNetTools() }
  if (process.argv.includes('--build')) await build()
}
