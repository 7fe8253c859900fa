import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, test } from './fixtures.js'
import { seriousViolations, shoot } from './ui-steps.js'
import { tinyPdf } from '../helpers/tiny-pdf.js'

// Sharing from the app itself (drag-and-drop, paste, the picker) comes with the upload path; here
// Alice shares as the CLI does, and Bob's app shows, fetches and reports the file.
test('a shared file shows as a card with its size; a large one downloads on request, with progress, in both languages', async ({ people }) => {
  const env = { ENCLAVE_FILE_AUTO_BYTES: String(1024 * 1024) }
  const alice = await people.open('Alice', { env })
  const bob = await people.open('Bob', { peers: [alice], env })
  const dm = { peerId: bob.node.peerId }

  const small = join(alice.node.dataDir, 'notes.txt')
  await writeFile(small, 'agenda: files, search, calls\n')
  await alice.node.api.call('files.send', { ...dm, path: small, caption: 'for Monday' })
  const big = join(alice.node.dataDir, 'design.pdf')
  const bigData = randomBytes(24 * 1024 * 1024)
  await writeFile(big, bigData)
  await alice.node.api.call('files.send', { ...dm, path: big })

  const conversations = bob.page.getByRole('region', { name: 'Conversations' })
  await expect(conversations.getByRole('button', { name: /Alice/ })).toContainText('File: design.pdf')
  await conversations.getByRole('button', { name: /Alice/ }).click()
  const cards = bob.page.getByTestId('file')
  await expect(cards).toHaveCount(2)
  // Below the automatic size: fetched by itself; the caption shows under it.
  const notes = cards.filter({ hasText: 'notes.txt' })
  await expect(notes).toHaveAttribute('data-state', 'complete')
  await expect(notes).toContainText('On this device')
  await expect(bob.page.getByTestId('message').filter({ hasText: 'notes.txt' })).toContainText('for Monday')
  // Above it: waits for Bob, then downloads with a progress bar and ends on this device.
  const design = cards.filter({ hasText: 'design.pdf' })
  await expect(design).toHaveAttribute('data-state', 'remote')
  await expect(design).toContainText('25.2 MB')
  await shoot(bob.page, 'file-cards-light', 1280)
  await design.getByRole('button', { name: 'Download' }).click()
  await expect(design).toHaveAttribute('data-state', 'complete', { timeout: 60_000 })
  await expect(design).toContainText('On this device')
  // Save gives the browser the file itself, byte for byte, once per link.
  const downloading = bob.page.waitForEvent('download')
  await design.getByRole('button', { name: 'Save' }).click()
  const download = await downloading
  expect(download.suggestedFilename()).toBe('design.pdf')
  expect((await readFile(await download.path())).equals(bigData)).toBe(true)
  await bob.page.emulateMedia({ colorScheme: 'dark' })
  await shoot(bob.page, 'file-cards-dark', 900)
  // Alice's side says it is hers and shared.
  await alice.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Bob/ }).click()
  await expect(alice.page.getByTestId('file').filter({ hasText: 'design.pdf' })).toContainText('Shared')

  await bob.page.getByRole('button', { name: 'Settings' }).click()
  const settings = bob.page.getByRole('dialog')
  await settings.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN')
  await settings.getByRole('button', { name: '关闭' }).click()
  await expect(bob.page.getByTestId('file').filter({ hasText: 'design.pdf' })).toContainText('已下载到本机')
  await shoot(bob.page, 'file-cards-zh', 900)
})

test('files and a folder picked, a screenshot pasted and a file dropped in the app reach the other side whole', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await alice.page.getByRole('region', { name: /People/ }).getByRole('button', { name: 'Bob' }).click()

  // Two files from the picker.
  const report = randomBytes(3 * 1024 * 1024 + 17)
  await alice.page.locator('input[type=file][multiple]').setInputFiles([
    { name: 'report.csv', mimeType: 'text/csv', buffer: report },
    { name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from('# Plan\n') },
    { name: 'brief.pdf', mimeType: 'application/pdf', buffer: tinyPdf(['Quarterly plan', 'Budget']) }
  ])
  // A screenshot pasted into the composer (no real name: it gets one), and a file dropped on the
  // conversation: browser events, built in the page (this project's test types carry no DOM).
  await alice.page.evaluate(`(async () => {
    const canvas = document.createElement('canvas')
    canvas.width = 40
    canvas.height = 30
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'))
    const pasted = new DataTransfer()
    pasted.items.add(new File([blob], 'image.png', { type: 'image/png' }))
    document.querySelector('textarea').dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }))
    const dropped = new DataTransfer()
    dropped.items.add(new File(['dropped text'], 'dropped.txt', { type: 'text/plain' }))
    const area = document.querySelector('.timeline')
    area.dispatchEvent(new DragEvent('dragover', { dataTransfer: dropped, bubbles: true, cancelable: true }))
    area.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }))
  })()`)

  const mine = alice.page.getByTestId('file')
  await expect(mine).toHaveCount(5)
  await expect(mine.filter({ hasText: /Screenshot \d{4}-\d\d-\d\d \d\d\.\d\d\.\d\d\.png/ })).toHaveCount(1)
  // A folder from its picker: every file inside, at any depth, hidden ones left out.
  const folder = join(alice.node.dataDir, 'site-visit')
  await mkdir(join(folder, 'photos'), { recursive: true })
  await writeFile(join(folder, 'summary.txt'), 'all good\n')
  await writeFile(join(folder, 'photos', 'gate.jpg'), randomBytes(20_000))
  await writeFile(join(folder, '.DS_Store'), 'not for colleagues')
  await alice.page.locator('input[type=file][webkitdirectory]').setInputFiles(folder)
  await expect(mine).toHaveCount(7)
  await bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ }).click()
  const theirs = bob.page.getByTestId('file')
  await expect(theirs).toHaveCount(7)
  await expect(theirs.filter({ hasText: '.DS_Store' })).toHaveCount(0)
  for (const name of ['report.csv', 'notes.md', 'brief.pdf', 'dropped.txt', 'summary.txt', 'gate.jpg']) await expect(theirs.filter({ hasText: name })).toHaveAttribute('data-state', 'complete', { timeout: 30_000 })
  await expect(theirs.filter({ hasText: 'Screenshot' })).toHaveAttribute('data-state', 'complete', { timeout: 30_000 })

  // Byte for byte, through the core of each side.
  const list = await bob.node.api.call('files.list', {})
  const csv = list.find((f) => f.name === 'report.csv')
  if (csv === undefined) throw new Error('report.csv not listed on Bob\'s side')
  const out = join(bob.node.dataDir, 'report-copy.csv')
  await bob.node.api.call('files.save', { messageId: csv.messageId, path: out })
  expect((await readFile(out)).equals(report)).toBe(true)
  await shoot(bob.page, 'file-cards-sent-from-app', 900)
  // A text file opens as its text.
  await theirs.filter({ hasText: 'notes.md' }).getByRole('button', { name: 'Open' }).click()
  await expect(bob.page.getByTestId('viewer-text')).toHaveText('# Plan\n')
  await shoot(bob.page, 'file-viewer-text', 900)
  await bob.page.keyboard.press('Escape')
  await expect(bob.page.getByTestId('viewer')).toBeHidden()
  // A PDF opens as its pages, drawn by PDF.js: both of them, with ink on the first.
  await theirs.filter({ hasText: 'brief.pdf' }).getByRole('button', { name: 'Open' }).click()
  await expect(bob.page.getByTestId('viewer-pdf')).toHaveAttribute('data-pages', '2', { timeout: 20_000 })
  const inked = await bob.page.evaluate(`(() => {
    const canvas = document.querySelector('[data-testid=viewer-pdf] canvas')
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
    let dark = 0
    for (let i = 0; i < data.length; i += 4) if (data[i] < 100 && data[i + 3] > 200) dark++
    return dark
  })()`)
  expect(inked).toBeGreaterThan(500)
  await shoot(bob.page, 'file-viewer-pdf', 1280)
  await bob.page.keyboard.press('Escape')
  await expect(bob.page.getByTestId('viewer')).toBeHidden()
})

test('a pasted screenshot shows as a picture on the other side and opens in a viewer that zooms', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  await alice.page.getByRole('region', { name: /People/ }).getByRole('button', { name: 'Bob' }).click()
  // The conversation opens once the core has made it: the paste below needs its composer.
  await expect(alice.page.getByRole('textbox', { name: /Message/ })).toBeVisible()

  // A 1200×800 "screenshot", drawn in the page and pasted into the composer.
  await alice.page.evaluate(`(async () => {
    const canvas = document.createElement('canvas')
    canvas.width = 1200
    canvas.height = 800
    const ctx = canvas.getContext('2d')
    ctx.fillStyle = '#2f6fd8'
    ctx.fillRect(0, 0, 1200, 800)
    ctx.fillStyle = '#ffd43b'
    ctx.fillRect(100, 100, 400, 300)
    ctx.fillStyle = '#ffffff'
    ctx.font = 'bold 96px sans-serif'
    ctx.fillText('Q4 plan', 560, 600)
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'))
    const pasted = new DataTransfer()
    pasted.items.add(new File([blob], 'image.png', { type: 'image/png' }))
    document.querySelector('textarea').dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }))
  })()`)

  await bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ }).click()
  // The thumbnail came inside the message: a real picture, in the shape of the original, at card size.
  const thumb = bob.page.getByTestId('file-thumb')
  await expect(thumb).toBeVisible()
  const shown = await bob.page.evaluate<{ natural: number; width: number; height: number; src: string }>(`(() => {
    const img = document.querySelector('[data-testid=file-thumb] img')
    return { natural: img.naturalWidth, width: img.clientWidth, height: img.clientHeight, src: img.src.slice(0, 22) }
  })()`)
  expect(shown.natural).toBeGreaterThan(0)
  expect(shown.natural).toBeLessThan(1200)
  expect(shown.src).toBe('data:image/webp;base64')
  expect(shown.width / shown.height).toBeCloseTo(1.5, 1)
  await shoot(bob.page, 'file-picture-card', 1280)

  // Opened: the picture itself, at its own size once asked for, zooming by steps.
  await thumb.click()
  const viewer = bob.page.getByTestId('viewer')
  await expect(viewer).toBeVisible()
  const image = viewer.getByTestId('viewer-image')
  await expect(image).toBeVisible({ timeout: 30_000 })
  const viewed = (what: string): Promise<unknown> => bob.page.evaluate(`document.querySelector('[data-testid=viewer-image]').${what}`)
  await expect.poll(() => viewed('naturalWidth')).toBe(1200)
  await shoot(bob.page, 'file-viewer-fit', 1280)
  expect(await seriousViolations(bob.page), 'viewer').toEqual([])
  await viewer.getByRole('button', { name: 'Actual size' }).click()
  await expect(viewer.getByTestId('zoom-level')).toHaveText('100%')
  await expect.poll(() => viewed('clientWidth')).toBe(1200)
  await viewer.getByRole('button', { name: 'Zoom in' }).click()
  await expect(viewer.getByTestId('zoom-level')).toHaveText('150%')
  await bob.page.keyboard.press('-')
  await bob.page.keyboard.press('-')
  await expect(viewer.getByTestId('zoom-level')).toHaveText('75%')
  await bob.page.emulateMedia({ colorScheme: 'dark' })
  await shoot(bob.page, 'file-viewer-zoomed', 900)
  await bob.page.keyboard.press('Escape')
  await expect(viewer).toBeHidden()
  // The file itself is on Bob's device now, byte for byte what Alice pasted.
  const [file] = await bob.node.api.call('files.list', {})
  expect(file?.state).toBe('complete')
  expect(file?.mime).toBe('image/png')
})

test('the Files view lists every conversation\'s files, filters them by kind and name, and frees a file\'s room on this device', async ({ people }) => {
  const alice = await people.open('Alice')
  const bob = await people.open('Bob', { peers: [alice] })
  const dm = { peerId: bob.node.peerId }
  const shares: Array<[string, Buffer]> = [['site-photo.png', randomBytes(300_000)], ['report-q4.pdf', randomBytes(2_000_000)], ['budget.csv', Buffer.from('item,cost\nservers,1200\n')]]
  for (const [name, data] of shares) {
    const path = join(alice.node.dataDir, name)
    await writeFile(path, data)
    await alice.node.api.call('files.send', { ...dm, path })
  }
  await expect.poll(async () => (await bob.node.api.call('files.list', {})).filter((f) => f.state === 'complete').length, { timeout: 30_000 }).toBe(3)

  await bob.page.getByRole('button', { name: 'Files', exact: true }).click()
  const view = bob.page.locator('#all-files')
  const rows = view.getByTestId('file-row')
  await expect(rows).toHaveCount(3)
  await expect(view.getByTestId('files-usage')).toContainText('used on this device')
  await shoot(bob.page, 'files-view', 1280)
  expect(await seriousViolations(bob.page), 'files view').toEqual([])
  await view.getByRole('button', { name: 'Pictures & videos' }).click()
  await expect(rows).toHaveCount(1)
  await expect(rows).toContainText('site-photo.png')
  await view.getByRole('button', { name: 'All' }).click()
  await view.getByRole('searchbox').fill('REPORT')
  await expect(rows).toHaveCount(1)
  await expect(rows).toContainText('report-q4.pdf')

  // Removing frees the room; the file stays listed and can be fetched again.
  const before = (await bob.node.api.call('files.usage', {})).bytes
  await rows.getByRole('button', { name: 'Remove from this device' }).click()
  await bob.page.getByRole('dialog').getByRole('button', { name: 'Remove from this device' }).click()
  await expect(rows).toHaveAttribute('data-state', 'remote')
  await expect.poll(async () => before - (await bob.node.api.call('files.usage', {})).bytes).toBeGreaterThan(2_000_000)
  await rows.getByRole('button', { name: 'Download' }).click()
  await expect(rows).toHaveAttribute('data-state', 'complete', { timeout: 30_000 })

  // Beside the conversation: its own files.
  await bob.page.getByRole('button', { name: 'Chats' }).click()
  await bob.page.getByRole('region', { name: 'Conversations' }).getByRole('button', { name: /Alice/ }).click()
  await bob.page.getByRole('main').getByRole('button', { name: 'Files', exact: true }).click()
  await expect(bob.page.locator('#conversation-files').getByTestId('file-row')).toHaveCount(3)
  await bob.page.emulateMedia({ colorScheme: 'dark' })
  await shoot(bob.page, 'files-panel', 1280)
})
