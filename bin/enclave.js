#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=8388608 MALLOC_TRIM_THRESHOLD_=67108864 node
// The shebang sets glibc's malloc thresholds for the core (src/api/core-process-env.ts says why).
// The `enclave` command: runs the compiled CLI (npm run build, or npm start, compiles it).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const entry = new URL('../dist/src/cli/main.js', import.meta.url)
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('enclave: not built yet; run `npm run build` in the Enclave folder first\n')
  process.exit(1)
}
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
