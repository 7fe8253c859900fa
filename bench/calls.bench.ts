/**
 * `npm run bench:calls`: call set-up on a LAN (a click on "Video call" to the first frame of the
 * other's video shown, the other side answering as soon as it rings) between two real nodes and
 * two pages, next to two peer connections in one page with nothing in between (WebRTC's own
 * floor); and the CPU that frame encryption adds to a video call, next to the same call without
 * it, in the same browser.
 */
import { readFile } from 'node:fs/promises'
import { chromium, type Browser, type Page } from '@playwright/test'
import { makeDataDir, removeDataDir, repoRoot, startNode, type NodeProcess } from '../test/helpers/node-process.js'
import { printTable, summarize, writeResults, type Row } from './stats.js'

const ROUNDS = Number(process.env.BENCH_CALL_ROUNDS ?? 10)
const CPU_SECONDS = Number(process.env.BENCH_CALL_CPU_SECONDS ?? 10)
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required']

/** CPU seconds used so far by every Chromium process (from /proc): the browser, renderers, GPU, utility. */
async function chromiumCpuSeconds(): Promise<number> {
  const { readdir } = await import('node:fs/promises')
  let ticks = 0
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const comm = /\((.*)\)/.exec(stat)?.[1] ?? ''
    if (!/chrom/i.test(comm)) continue
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
  }
  return ticks / 100
}

async function person(browser: Browser, name: string, peers: string[]): Promise<{ node: NodeProcess; page: Page }> {
  const node = await startNode(await makeDataDir(`bench-call-${name.toLowerCase()}`), { serve: true, peers })
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
  await page.goto(node.appUrl ?? '')
  await page.getByLabel('Your name').fill(name)
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('navigation').waitFor()
  return { node, page }
}

/** One call: Alice clicks, Bob's page answers the moment the card shows; ms to Alice's first frame of Bob, and to Bob's ring. */
async function oneCall(alice: Page, bob: Page): Promise<{ setup: number; ring: number }> {
  const rang = bob.evaluate(() => new Promise<number>((resolve) => {
    const look = (): void => {
      const answer = [...document.querySelectorAll('[role="alertdialog"] button')].find((b) => b.textContent.trim() === 'Answer') as HTMLButtonElement | undefined
      if (answer === undefined) { requestAnimationFrame(look); return }
      const at = Date.now()
      answer.click()
      resolve(at)
    }
    look()
  }))
  const [start, shown] = await alice.evaluate(() => new Promise<[number, number]>((resolve) => {
    const button = document.querySelector('button[aria-label="Video call"]') as HTMLButtonElement
    const t0 = Date.now()
    button.click()
    const look = (): void => {
      const remote = [...document.querySelectorAll('[data-testid="call-stage"] figure')].slice(1).map((f) => f.querySelector('video')).find((v) => v !== null && v.videoWidth > 0)
      if (remote === undefined) { requestAnimationFrame(look); return }
      resolve([t0, Date.now()])
    }
    look()
  }))
  const ringAt = await rang
  await alice.getByTestId('call-stage').getByRole('button', { name: 'Leave' }).click()
  await alice.getByTestId('call-stage').waitFor({ state: 'detached' })
  await bob.getByTestId('call-stage').waitFor({ state: 'detached' })
  return { setup: shown - start, ring: ringAt - start }
}

/** Two peer connections in one page, offer and answer handed over directly: ms to the first decoded frame. */
async function rawCall(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const t0 = Date.now()
    const camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
    const a = new RTCPeerConnection({ iceServers: [] })
    const b = new RTCPeerConnection({ iceServers: [] })
    a.onicecandidate = (e) => { if (e.candidate !== null) void b.addIceCandidate(e.candidate) }
    b.onicecandidate = (e) => { if (e.candidate !== null) void a.addIceCandidate(e.candidate) }
    const video = document.createElement('video')
    video.muted = true
    b.ontrack = (e) => { video.srcObject = e.streams[0] ?? null; void video.play() }
    for (const t of camera.getTracks()) a.addTrack(t, camera)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription ?? { type: 'offer' })
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription ?? { type: 'answer' })
    await new Promise<void>((resolve) => { const look = (): void => { if (video.videoWidth > 0) resolve(); else requestAnimationFrame(look) }; look() })
    const ms = Date.now() - t0
    a.close()
    b.close()
    for (const t of camera.getTracks()) t.stop()
    return ms
  })
}

/**
 * A 640×480 video and an audio stream each way between two connections in one page for
 * `seconds`, sealed and opened by the app's call worker or not at all; CPU seconds of Chromium
 * and frames decoded.
 */
async function cpuOf(page: Page, sealed: boolean, seconds: number): Promise<{ cpu: number; frames: number }> {
  const setup = page.evaluate(async ([on, ms]) => {
    const worker = (): Worker => {
      const w = new Worker(new URL('assets/call-worker.js', location.href), { type: 'module' })
      w.postMessage({ type: 'key', epoch: 1, secret: new Uint8Array(32).fill(9) })
      return w
    }
    const [wa, wb] = [worker(), worker()]
    const ends = await Promise.all([0, 1].map(() => navigator.mediaDevices.getUserMedia({ video: true, audio: true })))
    const pcs = [new RTCPeerConnection({ iceServers: [] }), new RTCPeerConnection({ iceServers: [] })] as const
    const [a, b] = pcs
    a.onicecandidate = (e) => { if (e.candidate !== null) void b.addIceCandidate(e.candidate) }
    b.onicecandidate = (e) => { if (e.candidate !== null) void a.addIceCandidate(e.candidate) }
    pcs.forEach((pc, i) => {
      const stream = ends[i]
      if (stream === undefined) return
      for (const t of stream.getTracks()) {
        const sender = pc.addTrack(t, stream)
        if (!on) continue
        sender.transform = new RTCRtpScriptTransform(i === 0 ? wa : wb, { role: 'encrypt', sender: `s${i}` })
        const receiver = pc.getTransceivers().find((x) => x.sender === sender)?.receiver
        if (receiver !== undefined) receiver.transform = new RTCRtpScriptTransform(i === 0 ? wa : wb, { role: 'decrypt', sender: `s${1 - i}` })
      }
    })
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription ?? { type: 'offer' })
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription ?? { type: 'answer' })
    // Settled first (the encoder ramps up), then measured by the caller.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const w = window as unknown as { benchDone: Promise<number> }
    w.benchDone = new Promise<number>((resolve) => setTimeout(() => {
      void (async () => {
        let frames = 0
        for (const pc of pcs) (await pc.getStats()).forEach((r: { type: string; kind?: string; framesDecoded?: number }) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded ?? 0 })
        for (const pc of pcs) pc.close()
        for (const s of ends) for (const t of s.getTracks()) t.stop()
        wa.terminate()
        wb.terminate()
        resolve(frames)
      })()
    }, ms))
  }, [sealed, seconds * 1000] as const)
  await setup
  const before = await chromiumCpuSeconds()
  const frames = await page.evaluate(() => (window as unknown as { benchDone: Promise<number> }).benchDone)
  return { cpu: await chromiumCpuSeconds() - before, frames }
}

const browser = await chromium.launch({ executablePath: process.env.ENCLAVE_CHROMIUM ?? '/usr/bin/chromium', args: ARGS })
const people: NodeProcess[] = []
try {
  const alice = await person(browser, 'Alice', [])
  people.push(alice.node)
  const bob = await person(browser, 'Bob', [alice.node.address])
  people.push(bob.node)
  await alice.page.getByRole('region', { name: 'People' }).getByRole('button', { name: 'Bob' }).click()
  await alice.page.getByRole('heading', { level: 1, name: 'Bob' }).waitFor()

  const setups: number[] = []
  const rings: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const { setup, ring } = await oneCall(alice.page, bob.page)
    setups.push(setup)
    rings.push(ring)
  }
  const raws: number[] = []
  for (let i = 0; i < ROUNDS; i++) raws.push(await rawCall(alice.page))
  const s = summarize(setups)
  const r = summarize(rings)
  const raw = summarize(raws)

  // CPU: the same two-way call, with and without sealing, alternated to share the machine's noise.
  const plain: Array<{ cpu: number; frames: number }> = []
  const sealed: Array<{ cpu: number; frames: number }> = []
  for (let i = 0; i < 2; i++) {
    plain.push(await cpuOf(alice.page, false, CPU_SECONDS))
    sealed.push(await cpuOf(alice.page, true, CPU_SECONDS))
  }
  const total = (xs: Array<{ cpu: number; frames: number }>): { cpu: number; frames: number } => xs.reduce((t, x) => ({ cpu: t.cpu + x.cpu, frames: t.frames + x.frames }), { cpu: 0, frames: 0 })
  const [p, e] = [total(plain), total(sealed)]
  // Two streams each way (audio and video) in a call of two: per stream is the whole over four.
  const streams = 4
  const perStreamPct = ((e.cpu - p.cpu) / (CPU_SECONDS * 2)) / streams * 100
  const overheadPct = (e.cpu / p.cpu - 1) * 100
  const rows: Row[] = [
    { metric: 'call set-up, click to first frame shown (p50 / p99)', enclave: `${s.p50} / ${s.p99} ms`, baseline: `${raw.p50} / ${raw.p99} ms (two connections in one page)`, target: '≤ 1 s', met: s.p50 <= 1000 ? 'yes' : 'no' },
    { metric: 'click to the other side ringing (p50 / p99)', enclave: `${r.p50} / ${r.p99} ms`, baseline: '—', target: '—', met: '—' },
    { metric: 'Chromium CPU, video + audio both ways', enclave: `${(e.cpu / (CPU_SECONDS * 2) * 100).toFixed(1)} % of a core`, baseline: `${(p.cpu / (CPU_SECONDS * 2) * 100).toFixed(1)} % (no frame encryption)`, target: '—', met: '—' },
    // The target counts a core's share per stream (as werift's ~6 % of a core for forwarding did).
    { metric: 'frame encryption, added CPU per stream', enclave: `${perStreamPct.toFixed(2)} % of a core (${overheadPct.toFixed(1)} % more in all)`, baseline: '0', target: '≤ 5 % of a core per stream', met: perStreamPct <= 5 ? 'yes' : 'no' },
    { metric: 'frames decoded in the CPU runs', enclave: String(e.frames), baseline: String(p.frames), target: 'about equal', met: e.frames >= 0.9 * p.frames ? 'yes' : 'no' },
    { metric: 'SFU at 4 and 10 participants', enclave: 'not built yet', baseline: 'mesh', target: '—', met: 'no' }
  ]
  printTable(`Calls: Chromium ${browser.version()}, two nodes on 127.0.0.1, fake camera 640×480, ${ROUNDS} calls`, rows)
  await writeResults('calls', { rounds: ROUNDS, setup: s, ring: r, raw, cpuSeconds: CPU_SECONDS, plain, sealed, overheadPct, perStreamPct, rows, repo: repoRoot() })
} finally {
  await browser.close()
  await Promise.all(people.map((n) => n.stop()))
  await Promise.all(people.map((n) => removeDataDir(n.dataDir)))
}
