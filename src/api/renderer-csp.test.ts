import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { browserRendererCsp, DESKTOP_RENDERER_CSP, HEADER_ONLY_DIRECTIVES, RENDERER_META_CSP } from './renderer-csp.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const META = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/gi

function metaPolicies(html: string): string[] {
  return [...html.matchAll(META)].map((m) => m[1] ?? '')
}

function directivesOf(policy: string): Map<string, string> {
  return new Map(policy.split(';').map((d) => d.trim()).filter((d) => d !== '').map((d) => {
    const [name = '', ...sources] = d.split(/\s+/)
    return [name.toLowerCase(), sources.join(' ')]
  }))
}

/** The policy without what differs by design: connect-src (per shell) and what a meta cannot set. */
function common(policy: string): Map<string, string> {
  const all = directivesOf(policy)
  for (const name of [...all.keys()]) if (name === 'connect-src' || HEADER_ONLY_DIRECTIVES.has(name)) all.delete(name)
  return all
}

test('renderer/index.html carries the policy both shells send, less what only a header can set', () => {
  const metas = metaPolicies(readFileSync(`${root}renderer/index.html`, 'utf8'))
  assert.deepEqual(metas, [RENDERER_META_CSP])
  for (const header of [DESKTOP_RENDERER_CSP, browserRendererCsp(41234)]) {
    assert.deepEqual(common(RENDERER_META_CSP), common(header))
  }
  assert.equal(directivesOf(DESKTOP_RENDERER_CSP).get('frame-ancestors'), "'none'")
  assert.ok([...directivesOf(RENDERER_META_CSP).keys()].every((name) => !HEADER_ONLY_DIRECTIVES.has(name)))
})

test('the desktop page connects nowhere; the browser page only to its own API socket, which the meta lets through', () => {
  assert.equal(directivesOf(DESKTOP_RENDERER_CSP).get('connect-src'), "'none'")
  const browser = directivesOf(browserRendererCsp(41234)).get('connect-src') ?? ''
  assert.equal(browser, 'ws://127.0.0.1:41234 ws://localhost:41234')
  const meta = (directivesOf(RENDERER_META_CSP).get('connect-src') ?? '').split(' ')
  for (const source of browser.split(' ')) assert.ok(meta.includes(source.replace(/:\d+$/, ':*')), source)
})

test('the built page keeps the meta, before any script or stylesheet it loads', () => {
  const html = readFileSync(`${root}dist/renderer/index.html`, 'utf8')
  assert.deepEqual(metaPolicies(html), [RENDERER_META_CSP])
  const meta = html.search(META)
  for (const tag of ['<script', '<link rel="stylesheet"', '<link rel="modulepreload"']) {
    const at = html.indexOf(tag)
    assert.ok(at === -1 || at > meta, `${tag} comes after the policy`)
  }
})
