import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ServerFrame } from '../../src/api/contract.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const electronDist = join(root, 'node_modules', 'electron', 'dist')
const skip = existsSync(electronDist) && existsSync(join(root, 'node_modules', 'electron', 'path.txt'))
  ? undefined
  : 'Electron binary not installed (node_modules/electron/dist missing; downloads are blocked here)'
if (skip !== undefined) console.log(`test/app/electron.test: skipping: ${skip}`)

/** What the page scripts below touch, typed here because this project has no DOM types. */
interface PagePort {
  start(): void
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
}
type PageGlobals = Record<string, unknown> & {
  addEventListener(type: 'message', listener: (event: { data: unknown; ports: PagePort[] }) => void): void
  __enclaveTestPort?: PagePort
}

async function launch() {
  const { _electron } = await import('@playwright/test')
  const userData = await mkdtemp(join(tmpdir(), 'enclave-electron-'))
  const app = await _electron.launch({
    args: [join(root, 'dist', 'app', 'main', 'main.js')],
    // Linux CI has no keyring: the app then asks for a store passphrase, answered here.
    env: { ...process.env, ENCLAVE_USER_DATA: userData, ENCLAVE_MDNS: 'off', ENCLAVE_LOG: 'warn', ENCLAVE_PASSPHRASE: 'electron test passphrase' }
  })
  return {
    app,
    close: async () => {
      await app.close()
      await rm(userData, { recursive: true, force: true })
    }
  }
}

test('the window is sandboxed and isolated, and the preload exposes nothing', { skip, timeout: 90_000 }, async () => {
  const { app, close } = await launch()
  try {
    const page = await app.firstWindow()
    await page.waitForLoadState('domcontentloaded')
    assert.equal(page.url(), 'app://enclave/index.html')

    // Sandboxed, Node-free and isolated: the page's world has no Node or Electron globals at all.
    const leaked = await page.evaluate(() => Object.getOwnPropertyNames(globalThis)
      .filter((name) => /^(require|process|module|exports|Buffer|global|electron|ipcRenderer|__electron.*|enclave.*)$/i.test(name)))
    assert.deepEqual(leaked, [])

    // script-src 'self': an inline script must not run.
    const inlineRan = await page.evaluate(() => {
      const g = globalThis as unknown as { document: { createElement(tag: string): { textContent: string }; head: { append(node: unknown): void } }; __inlineRan?: boolean }
      const script = g.document.createElement('script')
      script.textContent = 'globalThis.__inlineRan = true'
      g.document.head.append(script)
      return g.__inlineRan === true
    })
    assert.equal(inlineRan, false)
  } finally {
    await close()
  }
})

test('the page receives an API port and the core answers on it', { skip, timeout: 90_000 }, async () => {
  const { app, close } = await launch()
  try {
    await app.context().addInitScript(() => {
      const g = globalThis as unknown as PageGlobals
      g.addEventListener('message', (event) => {
        if ((event.data as { type?: unknown } | null)?.type === 'enclave:api-port') g.__enclaveTestPort = event.ports[0]
      })
    })
    const page = await app.firstWindow()
    await page.reload()
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__enclaveTestPort !== undefined)
    const result = await page.evaluate(() => new Promise<unknown>((resolve) => {
      const port = (globalThis as unknown as PageGlobals).__enclaveTestPort
      port?.addEventListener('message', (event) => {
        const frame = event.data as { type?: unknown; id?: unknown }
        if (frame.type === 'result' && frame.id === 424242) resolve(frame)
      })
      port?.start()
      port?.postMessage({ type: 'call', id: 424242, method: 'node.info', params: {} })
    }))
    const frame = result as ServerFrame
    if (frame.type !== 'result' || !frame.ok) assert.fail(`node.info failed: ${JSON.stringify(frame)}`)
    assert.match(String((frame.value as { peerId?: unknown }).peerId), /^12D3KooW/)
  } finally {
    await close()
  }
})
