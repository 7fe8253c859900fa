import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { createFileSaver, suggestedName } from './file-saver.js'
import { createShellLog } from './shell-log.js'
import type { MessageId } from '../../src/api/contract.js'
import type { ApiClient } from '../../src/api/api-client.js'

const FILE = 'dm:ab/12D3KooWAda/7' as MessageId

function setup(chosen: string | undefined, save: () => Promise<unknown> = () => Promise.resolve({})) {
  const events = new EventEmitter()
  const calls: unknown[] = []
  const suggested: string[] = []
  const errors: string[] = []
  const api: Pick<ApiClient, 'call' | 'on'> = {
    call: ((method: string, params: unknown) => { calls.push({ method, params }); return save() }) as ApiClient['call'],
    on: (name, listener) => {
      events.on(name, listener)
      return () => { events.off(name, listener) }
    }
  }
  let answered: () => void = () => undefined
  const dialogAnswered = new Promise<void>((resolve) => { answered = resolve })
  createFileSaver({
    api,
    choosePath: (path) => { suggested.push(path); answered(); return Promise.resolve(chosen) },
    downloadsDir: () => '/home/ana/Downloads',
    showError: (_title, detail) => { errors.push(detail) },
    log: createShellLog('test', () => undefined)
  })
  return { events, calls, suggested, errors, dialogAnswered }
}

const settle = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve) })

test('a file asked to be saved gets the save dialog with its name in Downloads, and the core writes it where the user chose', async () => {
  const s = setup('/home/ana/Desktop/plan.pdf')
  s.events.emit('shell.saveFileAsked', { messageId: FILE, name: 'plan.pdf' })
  await s.dialogAnswered
  await settle()
  assert.deepEqual(s.suggested, ['/home/ana/Downloads/plan.pdf'])
  assert.deepEqual(s.calls, [{ method: 'files.save', params: { messageId: FILE, path: '/home/ana/Desktop/plan.pdf' } }])
})

test('a cancelled dialog writes nothing; a failed save is told to the user', async () => {
  const cancelled = setup(undefined)
  cancelled.events.emit('shell.saveFileAsked', { messageId: FILE, name: 'plan.pdf' })
  await cancelled.dialogAnswered
  await settle()
  assert.deepEqual(cancelled.calls, [])

  const failing = setup('/full/disk/plan.pdf', () => Promise.reject(Object.assign(new Error('not enough free space'), { code: 'too-large' })))
  failing.events.emit('shell.saveFileAsked', { messageId: FILE, name: 'plan.pdf' })
  await failing.dialogAnswered
  await settle()
  await settle()
  assert.deepEqual(failing.errors, ['not enough free space'])
})

test('a name a colleague chose suggests no other folder and no control characters', () => {
  assert.equal(suggestedName('../../.bashrc'), '.bashrc')
  assert.equal(suggestedName('..\\..\\evil.exe'), 'evil.exe')
  assert.equal(suggestedName('re\u0000port\u001b.txt'), 'report.txt')
  assert.equal(suggestedName('..'), 'file')
  assert.equal(suggestedName('invoice\u202Egpj.exe'), 'invoicegpj.exe', 'no name that displays as another extension')
  assert.equal(suggestedName('季度计划.pdf'), '季度计划.pdf')
})
