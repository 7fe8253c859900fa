import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { runInNewContext } from 'node:vm'
import { PASSPHRASE_CHANNEL } from '../main/passphrase-rules.js'

/** Runs the emitted preload as a sandboxed renderer would: CommonJS, `require` knows only 'electron'. */
async function runPreload() {
  const source = await readFile(new URL('./passphrase-preload.cjs', import.meta.url), 'utf8')
  const exposed: Array<{ name: string; api: Record<string, unknown> }> = []
  const sent: Array<{ channel: string; args: unknown[] }> = []
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: Record<string, unknown>) => { exposed.push({ name, api }) } },
    ipcRenderer: { send: (channel: string, ...args: unknown[]) => { sent.push({ channel, args }) } }
  }
  const required: string[] = []
  const require = (id: string): unknown => {
    required.push(id)
    if (id !== 'electron') throw new Error(`module not found: ${id}`)
    return electron
  }
  const exports = {}
  runInNewContext(source, { require, exports, module: { exports } })
  return { exposed, sent, required }
}

test('the prompt preload exposes one submit function that sends one string on one channel', async () => {
  const { exposed, sent, required } = await runPreload()
  assert.deepEqual(required, ['electron'])
  assert.equal(exposed.length, 1)
  const bridge = exposed[0]
  if (bridge === undefined) assert.fail('nothing exposed')
  assert.equal(bridge.name, 'enclavePassphrase')
  assert.deepEqual(Object.keys(bridge.api), ['submit'])

  const submit = bridge.api.submit as (value: unknown) => void
  submit('my passphrase')
  submit(42)
  submit({ toString: () => 'sneaky' })
  assert.deepEqual(sent, [{ channel: PASSPHRASE_CHANNEL, args: ['my passphrase'] }])
})
