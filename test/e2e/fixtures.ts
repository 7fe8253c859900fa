import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../helpers/node-process.js'

/** One person: a data dir, a running `enclave serve` node, and a browser page on its app. */
export interface Person {
  name: string
  /** The node's data folder (for what a test writes below the API while the node is stopped). */
  dir: string
  node: NodeProcess
  page: Page
  /** Stops the node (the page stays open, showing it disconnected). */
  stop(): Promise<void>
  /** Starts the node again on the same data dir and opens its new link in the same page. */
  restart(peers?: string[]): Promise<void>
  /** Starts the node again on the same data dir and leaves the page alone (it reconnects by itself). */
  restartNode(peers?: string[]): Promise<void>
}

export interface People {
  /** `args` and `env` go to every start of this person's node (`--relay …`, test knobs). */
  open(name: string, opts?: { peers?: Person[]; named?: boolean; args?: string[]; env?: Record<string, string> }): Promise<Person>
}

/** Collects console errors and CSP violations: a page that logs one fails its test. */
function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`) })
}

export const test = base.extend<{ people: People }>({
  people: async ({ browser }: { browser: Browser }, use, testInfo) => {
    const opened: Person[] = []
    const contexts: BrowserContext[] = []
    const dirs: string[] = []
    const errors: string[] = []
    await use({
      open: async (name, opts = {}) => {
        const dir = await makeDataDir(name.toLowerCase())
        dirs.push(dir)
        const peerAddresses = (opts.peers ?? []).map((p) => p.node.address)
        const extra = { args: opts.args ?? [], env: opts.env ?? {} }
        let node = await startNode(dir, { serve: true, peers: peerAddresses, ...extra })
        const context = await browser.newContext()
        contexts.push(context)
        const page = await context.newPage()
        watchErrors(page, errors)
        await page.goto(node.appUrl ?? '')
        if (opts.named !== false) {
          await page.getByLabel(/Your name|你的名字/).fill(name)
          await page.getByRole('button', { name: /Continue|继续/ }).click()
          await expect(page.getByRole('navigation')).toBeVisible()
        }
        const person: Person = {
          name,
          dir,
          get node () { return node },
          page,
          stop: async () => { await node.stop() },
          restart: async (peers = peerAddresses) => {
            node = await startNode(dir, { serve: true, peers, ...extra })
            await page.goto(node.appUrl ?? '')
          },
          restartNode: async (peers = peerAddresses) => {
            node = await startNode(dir, { serve: true, peers, ...extra })
          }
        }
        opened.push(person)
        return person
      }
    })
    if (testInfo.status !== testInfo.expectedStatus) {
      // The nodes' own logs explain most failures; keep them with the test's report.
      for (const p of opened) {
        const exit = `exit code ${String(p.node.child.exitCode)}, signal ${String(p.node.child.signalCode)}`
        await testInfo.attach(`${p.name}-node.log`, { body: `${exit}\n${p.node.logs.map((l) => JSON.stringify(l)).join('\n')}`, contentType: 'text/plain' })
      }
    }
    // The browser lives as long as the worker: a page left open keeps retrying its stopped
    // node's socket through every later test, and each test after it runs slower.
    await Promise.all(contexts.map((c) => c.close()))
    await Promise.all(opened.map((p) => p.node.stop()))
    await Promise.all(dirs.map(removeDataDir))
    // Reconnect attempts to stopped nodes show as failed loads; anything else is a real error.
    const real = errors.filter((e) => !/Failed to load resource|WebSocket connection to .* failed/.test(e))
    expect(real, 'console errors').toEqual([])
  }
})

export { expect }
