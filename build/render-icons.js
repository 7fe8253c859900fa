#!/usr/bin/env node
// Rasterises the SVG icons into the PNGs electron-builder and the tray use. Not part of the
// build: run by hand after editing an SVG, then commit the PNGs. Needs a Chromium:
// `CHROMIUM=/usr/bin/chromium node build/render-icons.js` (default /usr/bin/chromium); then
// `pngquant --quality 80-95 --speed 1 --strip -f --ext .png build/icon.png app/assets/*.png`
// shrinks them about tenfold.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from '@playwright/test'

const root = new URL('..', import.meta.url).pathname
const outputs = [
  { svg: 'build/icon.svg', png: 'build/icon.png', size: 1024 },
  { svg: 'build/tray.svg', png: 'app/assets/tray.png', size: 32 },
  { svg: 'build/tray-template.svg', png: 'app/assets/trayTemplate.png', size: 16 },
  { svg: 'build/tray-template.svg', png: 'app/assets/trayTemplate@2x.png', size: 32 }
]

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
})
try {
  for (const { svg, png, size } of outputs) {
    const page = await browser.newPage({ viewport: { width: size, height: size } })
    const markup = (await readFile(join(root, svg), 'utf8')).replace(/width="\d+" height="\d+"/, `width="${size}" height="${size}"`)
    await page.setContent(`<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block}</style>${markup}`)
    await page.screenshot({ path: join(root, png), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } })
    await page.close()
  }
} finally {
  await browser.close()
}
