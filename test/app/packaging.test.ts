import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const ENTRY = 'dist/app/main/main.js'
/** Where @electron/fuses looks for the fuse wire in an Electron binary (version 1, 8 fuses). */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const FUSES = ['RunAsNode', 'EnableCookieEncryption', 'EnableNodeOptionsEnvironmentVariable', 'EnableNodeCliInspectArguments', 'EnableEmbeddedAsarIntegrityValidation', 'OnlyLoadAppFromAsar', 'LoadBrowserProcessSpecificV8Snapshot', 'GrantFileProtocolExtraPrivileges'] as const

/** An "Electron" that is a shell script carrying a fuse wire, all fuses on, so fuse flipping can be checked. */
async function standInElectron(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const wire = Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), Buffer.from(FUSE_SENTINEL), Buffer.from([1, FUSES.length]), Buffer.from('1'.repeat(FUSES.length)), Buffer.from('\n')])
  await writeFile(join(dir, 'electron'), wire)
  await chmod(join(dir, 'electron'), 0o755)
}

function fusesOf(binary: Buffer): Record<string, boolean> {
  const at = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length
  return Object.fromEntries(FUSES.map((name, i) => [name, binary[at + 2 + i] === '1'.charCodeAt(0)]))
}

/** The file tree of an asar archive: its header is a JSON index after a 16-byte pickle prefix. */
function asarFiles(archive: Buffer): Set<string> {
  type Node = { files?: Record<string, Node> }
  const header = JSON.parse(archive.subarray(16, 16 + archive.readUInt32LE(12)).toString('utf8')) as Node
  const paths = new Set<string>()
  const walk = (node: Node, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      paths.add(prefix + name)
      walk(child, `${prefix}${name}/`)
    }
  }
  walk(header, '')
  return paths
}

test('electron-builder packs the app offline: entry, package.json, core, preload, fuses', { timeout: 180_000 }, async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main?: string }
  assert.equal(pkg.main, ENTRY, `package.json "main" must be ${ENTRY}`)
  for (const file of [ENTRY, 'dist/app/preload/preload.cjs', 'dist/app/core/core-process.js', 'dist/src/index.js']) {
    assert.ok(existsSync(join(root, file)), `${file} is missing: build first (tsc -b, tsc -p app, node scripts/build-electron.js)`)
  }

  const tmp = await mkdtemp(join(tmpdir(), 'enclave-pack-'))
  try {
    const electronDist = join(tmp, 'electron-dist')
    const output = join(tmp, 'out')
    await standInElectron(electronDist)
    const result = spawnSync(process.execPath, [
      join(root, 'node_modules', 'electron-builder', 'cli.js'),
      '--linux', 'dir',
      '--config', 'electron-builder.yml',
      `-c.electronDist=${electronDist}`,
      `-c.directories.output=${output}`
    ], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
      env: {
        ...process.env,
        ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
        // Any download attempt fails at once instead of passing unnoticed on a connected machine.
        HTTP_PROXY: 'http://127.0.0.1:9',
        HTTPS_PROXY: 'http://127.0.0.1:9',
        http_proxy: 'http://127.0.0.1:9',
        https_proxy: 'http://127.0.0.1:9',
        NO_PROXY: '',
        no_proxy: ''
      }
    })
    assert.equal(result.status, 0, `electron-builder failed:\n${result.stdout}\n${result.stderr}`)

    const unpacked = join(output, 'linux-unpacked')
    const files = asarFiles(await readFile(join(unpacked, 'resources', 'app.asar')))
    for (const file of ['package.json', ENTRY, 'dist/app/core/core-process.js', 'dist/app/preload/preload.cjs', 'dist/app/assets/tray.png', 'dist/src/index.js', 'node_modules/classic-level/package.json']) {
      assert.ok(files.has(file), `app.asar lacks ${file}`)
    }
    assert.deepEqual([...files].filter((f) => f.startsWith('dist/test/') || f.endsWith('.test.js') || f.endsWith('.tsbuildinfo')), [], 'tests and build info stay out')
    assert.ok(existsSync(join(unpacked, 'resources', 'app.asar.unpacked', 'node_modules', 'classic-level', 'prebuilds', 'linux-x64')), 'the native module is unpacked next to the archive')

    const fuses = fusesOf(await readFile(join(unpacked, 'enclave')))
    assert.deepEqual(fuses, {
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      LoadBrowserProcessSpecificV8Snapshot: true,
      GrantFileProtocolExtraPrivileges: false
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
})
