/**
 * `npm run bench:ui`: the conversation view with a 100,000-message history. Measures how long
 * opening the conversation takes — in the running node, and from a freshly started node on a
 * dropped page cache (cold store) — and frame intervals while scrolling back through history
 * (which pages older messages in), next to a plain page that renders the same 100,000 messages
 * as ordinary DOM nodes without virtualization, opened and scrolled the same way in the same
 * browser. The newest messages (all those the scroll passes, 1,000 by default) each carry 20
 * reactions, 3 edits and a thread reply, as in a busy channel (issue 16).
 */
import { chromium, type Browser, type Page } from '@playwright/test'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { describeDrop, dropPageCache } from './page-cache.js'
import { printTable, summarize, writeResults } from './stats.js'
import type { MessageId } from '../src/api/contract.js'

const HISTORY = Number(process.env.BENCH_UI_MESSAGES ?? 100_000)
const BASELINE_ITEMS = Number(process.env.BENCH_UI_BASELINE_ITEMS ?? HISTORY)
const SCROLL_FRAMES = 600
const WINDOW = 256
/** The newest messages that get reactions, edits and a thread reply each (the scroll passes about this many). */
const DECORATED = Number(process.env.BENCH_UI_DECORATED ?? 1000)
const EMOJI = ['👍', '❤️', '😂', '🎉', '✅', '👀', '🚀', '🙏', '🔥', '💯', '😮', '😢', '👏', '🤔', '😀', '🙌', '💡', '📌', '✨', '🍕']

/** Runs `count` calls at most WINDOW at a time. */
async function pumped(count: number, call: (n: number) => Promise<unknown>): Promise<void> {
  let issued = 0
  await new Promise<void>((resolve, reject) => {
    let inFlight = 0
    const pump = (): void => {
      while (issued < count && inFlight < WINDOW) {
        const n = issued++
        inFlight++
        call(n).then(() => {
          inFlight--
          if (issued === count && inFlight === 0) resolve()
          else pump()
        }, reject)
      }
    }
    if (count === 0) resolve()
    else pump()
  })
}

/** Scrolls `selector` up by `step` px per animation frame and returns the frame intervals in ms. */
async function scrollFrames(page: Page, selector: string, frames: number, step: number): Promise<number[]> {
  return page.evaluate(async ({ selector, frames, step }) => {
    const el = document.querySelector(selector)
    if (el === null) throw new Error(`no ${selector}`)
    const intervals: number[] = []
    let last = performance.now()
    for (let i = 0; i < frames; i++) {
      await new Promise((resolve) => requestAnimationFrame(resolve))
      const now = performance.now()
      intervals.push(now - last)
      last = now
      el.scrollTop = Math.max(0, el.scrollTop - step)
      if (el.scrollTop === 0 && i > 10) el.scrollTop = el.scrollHeight
    }
    return intervals
  }, { selector, frames, step })
}

function frameStats(intervals: number[]): { p50: number; p99: number; fps: number; slow: number } {
  const s = summarize(intervals.slice(5))
  return { p50: s.p50, p99: s.p99, fps: 1000 / s.mean, slow: intervals.filter((v) => v > 33.4).length / intervals.length }
}

/** The last message sent (after every decoration, so all of them arrived when it shows). */
const newestText = 'the decorations are all sent'

/** Loads the app from `node`, then times a click on the conversation until its newest message shows. */
async function openConversation(browser: Browser, node: NodeProcess): Promise<{ page: Page; openMs: number }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } })
  await page.goto(node.appUrl ?? '')
  const row = page.getByRole('region', { name: 'Conversations' }).getByRole('button').first()
  await row.waitFor({ timeout: 60_000 })
  const t0 = performance.now()
  await row.click()
  // In the message log: the conversation list's row may preview the same text.
  await page.getByRole('log').getByText(newestText).waitFor({ timeout: 60_000 })
  return { page, openMs: performance.now() - t0 }
}

/**
 * The baseline's "open": the same messages as plain DOM nodes, built and laid out in one go and
 * scrolled to the newest, until painted. Timed from this process, like the app's open, so both
 * include one round trip to the browser.
 */
async function openPlain(page: Page, items: number): Promise<number> {
  await page.setContent('<div id="list" style="height:780px;overflow-y:auto;font:14px system-ui"></div>')
  const t0 = performance.now()
  await page.evaluate(async (items) => {
    const el = document.getElementById('list')
    if (el === null) throw new Error('no list')
    const parts: string[] = []
    for (let i = 0; i < items; i++) parts.push(`<div style="padding:6px 10px;margin:4px 16px;background:#eef0f4;border-radius:14px;max-width:60%">history message ${i} — the quick brown fox jumps over the lazy dog<div style="font-size:11px;text-align:right">05:43</div></div>`)
    el.innerHTML = parts.join('')
    el.scrollTop = el.scrollHeight
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
  }, items)
  return performance.now() - t0
}

let alice = await startNode(await makeDataDir('ui-alice'), { serve: true })
const bob = await startNode(await makeDataDir('ui-bob'), { peers: [alice.address] })
const browser = await chromium.launch({ executablePath: process.env.ENCLAVE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
try {
  await alice.api.call('profile.set', { displayName: 'Alice' })
  process.stdout.write(`seeding ${HISTORY.toLocaleString('en-US')} messages…\n`)
  const seedStart = Date.now()
  await pumped(HISTORY, (n) => bob.api.call('chat.send', { peerId: alice.peerId, text: `history message ${n} — the quick brown fox jumps over the lazy dog` }))
  // The newest DECORATED: 20 reactions, 3 edits and a thread reply each, then one plain message.
  const newest: MessageId[] = []
  let before: string | undefined
  while (newest.length < DECORATED) {
    const page = await bob.api.call('chat.history', { peerId: alice.peerId, limit: 200, ...(before === undefined ? {} : { before }) })
    if (page.length === 0) break
    newest.push(...page.map((m) => m.id).reverse())
    before = page[0]?.order
  }
  const targets = newest.slice(0, DECORATED)
  const ops: Array<() => Promise<unknown>> = targets.flatMap((messageId, i) => [
    ...EMOJI.map((emoji) => () => bob.api.call('chat.react', { messageId, emoji, on: true })),
    ...[1, 2, 3].map((k) => () => bob.api.call('chat.edit', { messageId, text: `history message (edited ${k}) — the quick brown fox jumps over the lazy dog` })),
    () => bob.api.call('chat.send', { peerId: alice.peerId, text: `thread reply ${i}`, threadOf: messageId })
  ])
  process.stdout.write(`decorating the newest ${targets.length.toLocaleString('en-US')} with ${ops.length.toLocaleString('en-US')} reactions, edits and thread replies…\n`)
  await pumped(ops.length, (n) => ops[n]?.() ?? Promise.resolve())
  await bob.api.call('chat.send', { peerId: alice.peerId, text: newestText })
  for (;;) {
    const [c] = await alice.api.call('conversations.list', {})
    if (c?.lastMessage?.text.startsWith(newestText) === true) break
    await new Promise((r) => setTimeout(r, 200))
  }
  const seedSeconds = (Date.now() - seedStart) / 1000

  // Warm: the node that received the messages, its store just written.
  const warm = await openConversation(browser, alice)
  const page = warm.page
  const openMs = warm.openMs
  const app = frameStats(await scrollFrames(page, '.vlist', SCROLL_FRAMES, 120))
  const loaded = await page.evaluate(() => document.querySelectorAll('[data-testid="message"]').length)
  const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0)
  await page.close()

  // Cold: both nodes stopped, the page cache dropped, alice's node started afresh on the same
  // data; timed from the click, and from starting the node to the newest message on screen.
  await bob.stop()
  await alice.stop()
  const drop = await dropPageCache([alice.dataDir])
  const spawnedAt = performance.now()
  alice = await startNode(alice.dataDir, { serve: true })
  const cold = await openConversation(browser, alice)
  const coldTotalMs = performance.now() - spawnedAt
  await cold.page.close()

  // Baseline: the same messages as plain DOM nodes, no virtualization, opened and scrolled the same way.
  const plain = await browser.newPage({ viewport: { width: 1100, height: 800 } })
  const plainOpenMs = await openPlain(plain, BASELINE_ITEMS)
  const base = frameStats(await scrollFrames(plain, '#list', SCROLL_FRAMES, 120))
  const plainHeap = await plain.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0)

  const ms = (n: number): string => `${n.toFixed(1)} ms`
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`
  const plainLabel = `plain ${BASELINE_ITEMS.toLocaleString('en-US')} divs`
  const rows = [
    { metric: `open a ${HISTORY.toLocaleString('en-US')}-message conversation (running node)`, enclave: ms(openMs), baseline: `${ms(plainOpenMs)} (${plainLabel})`, target: '—', met: '—' },
    { metric: '  … fresh node, page cache dropped: click → newest shown', enclave: ms(cold.openMs), baseline: `${ms(plainOpenMs)} (${plainLabel})`, target: '—', met: '—' },
    { metric: '  … fresh node, cold: node start → newest shown', enclave: ms(coldTotalMs), baseline: '—', target: '—', met: '—' },
    { metric: 'frame interval p50 while scrolling back', enclave: ms(app.p50), baseline: `${ms(base.p50)} (${plainLabel})`, target: '≤ 16.7 ms', met: app.p50 <= 17.5 ? 'yes' : 'no' },
    { metric: 'frame interval p99 while scrolling back', enclave: ms(app.p99), baseline: ms(base.p99), target: '—', met: '—' },
    { metric: 'frames over 33 ms', enclave: `${(app.slow * 100).toFixed(1)} %`, baseline: `${(base.slow * 100).toFixed(1)} %`, target: '—', met: '—' },
    { metric: 'message rows in the DOM after scrolling', enclave: String(loaded), baseline: String(BASELINE_ITEMS), target: '—', met: '—' },
    { metric: 'renderer JS heap (DOM nodes are outside it)', enclave: mib(heap), baseline: mib(plainHeap), target: '—', met: '—' }
  ]
  printTable(`UI list benchmark: ${HISTORY.toLocaleString('en-US')} messages in history, the newest ${targets.length.toLocaleString('en-US')} with 20 reactions, 3 edits and a thread reply each (seeded in ${seedSeconds.toFixed(1)} s), ${SCROLL_FRAMES} frames scrolled at 120 px/frame, headless Chromium; ${describeDrop(drop)}`, rows)
  await writeResults('ui-list', { history: HISTORY, decorated: targets.length, baselineItems: BASELINE_ITEMS, openMs, coldOpenMs: cold.openMs, coldTotalMs, plainOpenMs, app, baseline: base, domRows: loaded, heapBytes: heap, plainHeapBytes: plainHeap, seedSeconds, pageCache: drop, rows })
} finally {
  await browser.close()
  await Promise.all([alice.stop(), bob.stop()])
  await Promise.all([removeDataDir(alice.dataDir), removeDataDir(bob.dataDir)])
}
