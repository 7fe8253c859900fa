/**
 * Part of `npm run bench:docs`: frame intervals in Chromium while panning a 10,000-shape board
 * (zoomed to fit, so every shape is on screen), next to the same pan over an empty board in the
 * same page. Pointer moves come from Playwright; the page records requestAnimationFrame times.
 */
import { chromium, type Page } from '@playwright/test'
import { makeDataDir, removeDataDir, startNode } from '../test/helpers/node-process.js'
import { boardUpdate } from './board-fixture.js'
import { printTable, summarize, writeResults, type Row } from './stats.js'

const SHAPES = Number(process.env.BENCH_BOARD_SHAPES ?? 10_000)
const MOVES = 400

async function openBoard(page: Page, title: string, count: number): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: 'Notes & boards' }).click()
  await page.getByRole('button', { name: new RegExp(`^${title}`) }).click()
  await page.locator(`[data-shape-count="${count}"]`).waitFor({ timeout: 60_000 })
}

/** Pans with the hand tool while the page records frame intervals; returns them in ms. */
async function panFrames(page: Page): Promise<number[]> {
  const canvas = page.getByTestId('board-canvas')
  await canvas.click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('h')
  const box = await canvas.boundingBox()
  if (box === null) throw new Error('no canvas')
  await page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; stop_: boolean }
    w.frames_ = []
    w.stop_ = false
    let last = performance.now()
    const tick = (now: number): void => {
      w.frames_.push(now - last)
      last = now
      if (!w.stop_) requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })
  const cx = box.x + box.width / 2
  const cy = box.y + box.height / 2
  await page.mouse.move(cx, cy)
  await page.mouse.down()
  for (let i = 0; i < MOVES; i++) await page.mouse.move(cx + Math.sin(i / 20) * 200, cy + Math.cos(i / 25) * 120)
  await page.mouse.up()
  return page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; stop_: boolean }
    w.stop_ = true
    return w.frames_.slice(3)
  })
}

const node = await startNode(await makeDataDir('bench-board'), { serve: true })
const browser = await chromium.launch({ executablePath: process.env.ENCLAVE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
try {
  await node.api.call('profile.set', { displayName: 'Bench' })
  const full = await node.api.call('docs.create', { kind: 'board', title: 'Full board' })
  await node.api.call('docs.update', { docId: full.id, update: Buffer.from(boardUpdate(SHAPES)).toString('base64') })
  await node.api.call('docs.create', { kind: 'board', title: 'Empty board' })
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.goto(node.appUrl ?? '')
  await openBoard(page, 'Empty board', 0)
  const empty = summarize(await panFrames(page))
  await page.getByRole('button', { name: 'Close' }).click()
  await openBoard(page, 'Full board', SHAPES)
  const frames = await panFrames(page)
  const full10k = summarize(frames)
  const fps = (s: ReturnType<typeof summarize>): number => 1000 / s.mean
  const slow = frames.filter((f) => f > 33.4).length / frames.length
  const rows: Row[] = [
    { metric: `panning a ${SHAPES.toLocaleString('en-US')}-shape board, mean fps`, enclave: fps(full10k).toFixed(1), baseline: `${fps(empty).toFixed(1)} (empty board)`, target: '≥ 60 fps (display-bound)', met: fps(full10k) >= 0.95 * Math.min(60, fps(empty)) ? 'yes' : 'no' },
    { metric: 'frame interval p50 / p99', enclave: `${full10k.p50.toFixed(1)} / ${full10k.p99.toFixed(1)} ms`, baseline: `${empty.p50.toFixed(1)} / ${empty.p99.toFixed(1)} ms`, target: '—', met: '—' },
    { metric: 'frames over 33 ms', enclave: `${(slow * 100).toFixed(1)} %`, baseline: '—', target: '—', met: '—' }
  ]
  printTable(`Board frame rate: Chromium ${browser.version()}, 1280×800, ${MOVES} pointer moves with the hand tool`, rows)
  await writeResults('board-fps', { shapes: SHAPES, full: full10k, empty, slow, rows })
} finally {
  await browser.close()
  await node.stop()
  await removeDataDir(node.dataDir)
}
