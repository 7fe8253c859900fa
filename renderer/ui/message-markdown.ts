import MarkdownIt from 'markdown-it'
import DOMPurify from 'dompurify'
import hljs from 'highlight.js/lib/core'
import bash from 'highlight.js/lib/languages/bash'
import c from 'highlight.js/lib/languages/c'
import cpp from 'highlight.js/lib/languages/cpp'
import csharp from 'highlight.js/lib/languages/csharp'
import css from 'highlight.js/lib/languages/css'
import diff from 'highlight.js/lib/languages/diff'
import go from 'highlight.js/lib/languages/go'
import ini from 'highlight.js/lib/languages/ini'
import java from 'highlight.js/lib/languages/java'
import javascript from 'highlight.js/lib/languages/javascript'
import json from 'highlight.js/lib/languages/json'
import kotlin from 'highlight.js/lib/languages/kotlin'
import python from 'highlight.js/lib/languages/python'
import rust from 'highlight.js/lib/languages/rust'
import sql from 'highlight.js/lib/languages/sql'
import typescript from 'highlight.js/lib/languages/typescript'
import xml from 'highlight.js/lib/languages/xml'
import yaml from 'highlight.js/lib/languages/yaml'

/*
 * A message's text as formatted HTML: markdown (bold, italic, strike, code, code blocks with
 * highlighting, quotes, lists, tables, links) by markdown-it with raw HTML off, then DOMPurify
 * with a short list of tags, so what a colleague types can never become markup of its own: a
 * `<script>` shows as text. Links open outside the app (the desktop shell hands https links to
 * the browser and refuses the rest); pictures and headings stay text (a chat message is not a
 * page, and a remote picture would tell its server who read the message).
 */

for (const [name, language] of Object.entries({ bash, c, cpp, csharp, css, diff, go, ini, java, javascript, json, kotlin, python, rust, sql, typescript, xml, yaml })) hljs.registerLanguage(name, language)
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' })
hljs.registerAliases(['js', 'jsx', 'mjs'], { languageName: 'javascript' })
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' })
hljs.registerAliases(['py'], { languageName: 'python' })
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' })
hljs.registerAliases(['yml'], { languageName: 'yaml' })
hljs.registerAliases(['rs'], { languageName: 'rust' })
hljs.registerAliases(['cs'], { languageName: 'csharp' })
hljs.registerAliases(['toml'], { languageName: 'ini' })

/** Code longer than this is shown without highlighting (highlighting is the slow part of a long paste). */
const MAX_HIGHLIGHT_CHARS = 20_000

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: true,
  highlight: (code, lang) => {
    if (code.length > MAX_HIGHLIGHT_CHARS) return ''
    const language = lang !== '' && hljs.getLanguage(lang) !== undefined ? lang : undefined
    try {
      // A fence without a known language is guessed among the registered ones.
      return language !== undefined ? hljs.highlight(code, { language, ignoreIllegals: true }).value : hljs.highlightAuto(code).value
    } catch {
      return ''
    }
  }
})
md.disable(['image', 'heading', 'lheading'])
/** Links a message may carry: the web, mail, and links to Enclave messages (opened in the app). */
const LINK = /^(https?:|mailto:|enclave:\/\/message\/)/i
md.validateLink = (url) => LINK.test(url.trim())
md.linkify.set({ fuzzyEmail: false })
// `enclave://message/<encoded id>` written out in a message becomes a link too.
const MESSAGE_LINK_TAIL = /^\/\/message\/[A-Za-z0-9%._~-]+/
md.linkify.add('enclave:', { validate: (text, pos) => MESSAGE_LINK_TAIL.exec(text.slice(pos))?.[0].length ?? 0 })

const openLink = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options))
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]
  // A link to a message opens in the app (MessageItem catches the click); others outside.
  if (token !== undefined && String(token.attrGet('href') ?? '').startsWith('enclave:')) token.attrSet('class', 'enclave-link')
  else {
    token?.attrSet('target', '_blank')
    token?.attrSet('rel', 'noopener noreferrer')
  }
  return openLink(tokens, idx, options, env, self)
}

/**
 * What DOMPurify lets through in any allowed attribute: the link schemes above, or a value with
 * no scheme at all (`_blank`, `noopener noreferrer`, a class), as its own default does.
 */
const PURIFY_VALUES = /^(?:(?:https?|mailto):|enclave:\/\/message\/|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i

const ALLOWED_TAGS = ['p', 'br', 'strong', 'em', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'span', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td']

/** The message's text as sanitized HTML, safe for `{@html}`. */
export function messageHtml(text: string): string {
  return DOMPurify.sanitize(md.render(text), { ALLOWED_TAGS, ALLOWED_ATTR: ['href', 'target', 'rel', 'class', 'start'], ALLOW_DATA_ATTR: false, ALLOWED_URI_REGEXP: PURIFY_VALUES })
}

/** The markdown-it part alone (no DOM needed): what the unit tests read. */
export function markdownHtml(text: string): string {
  return md.render(text)
}

type Token = ReturnType<typeof md.parse>[number]

/** The words a message shows, without its markdown: for one-line previews (the sidebar). */
export function plainText(text: string): string {
  const out: string[] = []
  const walk = (tokens: Token[]): void => {
    for (const token of tokens) {
      if (token.type === 'text' || token.type === 'code_inline' || token.type === 'code_block' || token.type === 'fence') out.push(token.content)
      else if (token.type === 'softbreak' || token.type === 'hardbreak' || (token.block && token.type.endsWith('_close'))) out.push(' ')
      if (token.children !== null) walk(token.children)
    }
  }
  walk(md.parse(text, {}))
  return out.join('').replace(/\s+/g, ' ').trim()
}

/** A message long enough to be folded behind "Show more". */
export function isLong(text: string): boolean {
  return text.length > 1500 || text.split('\n').length > 20
}
