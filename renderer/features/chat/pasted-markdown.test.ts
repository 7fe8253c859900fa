import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pastedMarkdown } from './pasted-markdown.js'

test('formatted HTML from a page pastes as the markdown messages are written in', () => {
  const html = '<p>Ship <strong>today</strong>, <em>not</em> <del>tomorrow</del>: <a href="https://example.com/plan">the plan</a></p><ul><li>build</li><li>test</li></ul><blockquote>said</blockquote><pre><code>npm test</code></pre>'
  assert.equal(pastedMarkdown(html), 'Ship **today**, *not* ~~tomorrow~~: [the plan](https://example.com/plan)\n\n- build\n- test\n\n> said\n\n```\nnpm test\n```')
})

test('headings become bold lines, pictures their description, scripts nothing', () => {
  assert.equal(pastedMarkdown('<h2>Agenda</h2><p>one <img src="https://tracker.example/p.png" alt="chart"></p><script>alert(1)</script>'), '**Agenda**\n\none chart')
})

test("Google Docs' whole-copy <b> is not bold; its styled spans are", () => {
  const docs = '<b style="font-weight:normal;" id="docs-internal-guid-1"><p><span style="font-weight:700">Due</span> <span style="font-style:italic">Friday</span> all</p></b>'
  assert.equal(pastedMarkdown(docs), '**Due** *Friday* all')
})

test('HTML without formatting (an editor copying coloured code) pastes as plain text', () => {
  assert.equal(pastedMarkdown('<div style="color:#d4d4d4"><span style="color:#569cd6">const</span> x = a*b_c</div>'), null)
})

test('numbered and nested lists keep their numbers and their nesting', () => {
  assert.equal(pastedMarkdown('<ol start="3"><li>three<ul><li>inner</li></ul></li><li>four</li></ol>'), '3. three\n   - inner\n4. four')
})
