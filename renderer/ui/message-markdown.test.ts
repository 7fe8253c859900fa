import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isLong, markdownHtml, plainText } from './message-markdown.js'

// The markdown half of a message's formatting (the sanitiser needs a page: the e2e test covers it).

test('bold, italic, strike, inline code, quotes and lists become their markup', () => {
  assert.equal(markdownHtml('**bold** *it* ~~gone~~ `x < y`'), '<p><strong>bold</strong> <em>it</em> <s>gone</s> <code>x &lt; y</code></p>\n')
  assert.match(markdownHtml('> said\n\n- one\n- two'), /<blockquote>\n<p>said<\/p>\n<\/blockquote>\n<ul>\n<li>one<\/li>\n<li>two<\/li>\n<\/ul>/)
})

test('raw HTML stays text, and only web and mail links become links, opening outside', () => {
  assert.equal(markdownHtml('<script>alert(1)</script><img src=x onerror=alert(1)>'), '<p>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>\n')
  assert.equal(markdownHtml('[x](javascript:alert(1)) [y](file:///etc/passwd)'), '<p>[x](javascript:alert(1)) [y](file:///etc/passwd)</p>\n')
  assert.equal(markdownHtml('see https://example.com/a?b=1'), '<p>see <a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">https://example.com/a?b=1</a></p>\n')
})

test('a link to an Enclave message becomes a link that opens in the app; other enclave:// links stay text', () => {
  const link = 'enclave://message/dm%3A0123456789abcdef0123456789abcdef%2F12D3KooWQ7dF%2F42'
  assert.equal(markdownHtml(`see ${link}`), `<p>see <a href="${link}" class="enclave-link">${link}</a></p>\n`)
  assert.equal(markdownHtml('[x](enclave://join/abc) enclave://join/abc'), '<p>[x](enclave://join/abc) enclave://join/abc</p>\n')
})

test('a picture is only a link to it and a heading stays text: a chat message loads nothing and shouts at no one', () => {
  assert.equal(markdownHtml('![pixel](https://tracker.example/p.png)'), '<p>!<a href="https://tracker.example/p.png" target="_blank" rel="noopener noreferrer">pixel</a></p>\n')
  assert.equal(markdownHtml('# Plan'), '<p># Plan</p>\n')
})

test('code blocks are highlighted for their language, and a line break in a message is kept', () => {
  assert.match(markdownHtml('```ts\nconst a: number = 1\n```'), /<pre><code class="language-ts"><span class="hljs-keyword">const<\/span>/)
  assert.equal(markdownHtml('line one\nline two'), '<p>line one<br>\nline two</p>\n')
})

test('long messages fold: by length or by lines', () => {
  assert.equal(isLong('short'), false)
  assert.equal(isLong('x'.repeat(1501)), true)
  assert.equal(isLong(Array.from({ length: 21 }, () => 'a').join('\n')), true)
})

test('a one-line preview shows the words without their markdown', () => {
  assert.equal(plainText('**Launch** is *Friday*, run `npm test`\n- see [the plan](https://example.com)'), 'Launch is Friday, run npm test see the plan')
  assert.equal(plainText('<b>kept as typed</b>'), '<b>kept as typed</b>')
})
