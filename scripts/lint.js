#!/usr/bin/env node
// `npm run lint`: ESLint over the core, tests and shells, ESLint over the renderer (type-aware
// Svelte, about half a minute) and the dependency rules, all at once. Each
// one's output is printed whole when it ends; the run fails if any of them does.
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const jobs = [
  [bin('eslint'), ['--max-warnings', '0', '.', '--ignore-pattern', 'renderer/**']],
  [bin('eslint'), ['--max-warnings', '0', 'renderer']],
  [bin('depcruise'), ['--config', '.dependency-cruiser.cjs', 'src', 'test', 'bench', 'app', 'renderer']]
]

const codes = await Promise.all(jobs.map(([cmd, args]) => new Promise((resolve) => {
  const chunks = []
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (c) => chunks.push(c))
  child.stderr.on('data', (c) => chunks.push(c))
  child.on('close', (code) => {
    process.stdout.write(Buffer.concat(chunks))
    resolve(code ?? 1)
  })
})))
process.exit(codes.every((c) => c === 0) ? 0 : 1)
