import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { filesToShare, MAX_SHARED_FILES } from './file-paths.js'

const root = await mkdtemp(join(tmpdir(), 'enclave-paths-'))
after(() => rm(root, { recursive: true, force: true }))

test('a folder shares every file inside it, at any depth and in name order, hidden entries and links left out', async () => {
  const site = join(root, 'site')
  await mkdir(join(site, 'photos', '.thumbs'), { recursive: true })
  await mkdir(join(site, '.git'))
  for (const f of ['plan.pdf', 'photos/b.jpg', 'photos/a.jpg', 'photos/.thumbs/a.jpg', '.git/HEAD', '.DS_Store']) await writeFile(join(site, f), f)
  await symlink('/etc/passwd', join(site, 'passwords'))
  const single = join(root, 'notes.txt')
  await writeFile(single, 'notes')
  assert.deepEqual(await filesToShare([single, site]), [single, join(site, 'photos', 'a.jpg'), join(site, 'photos', 'b.jpg'), join(site, 'plan.pdf')])
})

test('a path that is not there, or a folder of more files than one share takes, is refused before anything is shared', async () => {
  await assert.rejects(filesToShare([join(root, 'missing')]), (err: unknown) => err instanceof EnclaveError && err.code === 'not-found')
  const many = join(root, 'many')
  await mkdir(many)
  await Promise.all(Array.from({ length: MAX_SHARED_FILES + 1 }, (_, i) => writeFile(join(many, `f${i}`), '')))
  await assert.rejects(filesToShare([many]), (err: unknown) => err instanceof EnclaveError && err.code === 'too-large')
})
