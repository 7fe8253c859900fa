import TurndownService from 'turndown'
import { strikethrough, tables } from '@joplin/turndown-plugin-gfm'
import { hasFormatting } from './format-text.js'

/*
 * Rich text pasted into the composer (from a web page, a document, another chat) becomes the
 * markdown our messages are written in, so bold stays bold and a list stays a list, instead of
 * the formatting being lost. turndown does the conversion; the rules below fit it to what a
 * message shows: headings become bold lines (messages have no headings), pictures become their
 * description (a message never loads a remote picture), and the wrappers Google Docs and Word
 * put around everything are not taken for formatting.
 */

let service: TurndownService | undefined

function converter(): TurndownService {
  if (service !== undefined) return service
  const s = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*', strongDelimiter: '**', br: '' })
  s.use([strikethrough, tables])
  s.remove(['script', 'style', 'title', 'meta', 'head'])
  s.addRule('heading', {
    filter: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
    replacement: (content) => (content.trim() === '' ? '' : `\n\n**${content.trim()}**\n\n`)
  })
  // turndown pads list marks to four columns ("-   item"); a message is written "- item".
  s.addRule('listItem', {
    filter: 'li',
    replacement: (content, node) => {
      const parent = node.parentNode as HTMLElement
      const start = Number(parent.getAttribute('start') ?? 1)
      const prefix = parent.nodeName === 'OL' ? `${start + Array.prototype.indexOf.call(parent.children, node)}. ` : '- '
      const body = content.replace(/^\n+/, '').replace(/\n+$/, '\n').replace(/\n(?=.)/g, `\n${' '.repeat(prefix.length)}`)
      return prefix + body + (node.nextSibling !== null && !body.endsWith('\n') ? '\n' : '')
    }
  })
  s.addRule('picture', {
    filter: 'img',
    replacement: (_content, node) => (node).getAttribute('alt') ?? ''
  })
  // Google Docs wraps a whole copy in <b style="font-weight:normal">; its bold is a styled span.
  s.addRule('notBold', {
    filter: (node) => node.nodeName === 'B' && /font-weight:\s*(normal|400)/i.test(node.getAttribute('style') ?? ''),
    replacement: (content) => content
  })
  s.addRule('styledBold', {
    filter: (node) => node.nodeName === 'SPAN' && /font-weight:\s*(bold|[6-9]00)/i.test(node.getAttribute('style') ?? ''),
    replacement: (content) => (content.trim() === '' ? content : `**${content}**`)
  })
  s.addRule('styledItalic', {
    filter: (node) => node.nodeName === 'SPAN' && /font-style:\s*italic/i.test(node.getAttribute('style') ?? ''),
    replacement: (content) => (content.trim() === '' ? content : `*${content}*`)
  })
  service = s
  return s
}

/** The markdown for pasted HTML, or null when it carries no formatting worth keeping (paste it as plain text). */
export function pastedMarkdown(html: string): string | null {
  if (!hasFormatting(html)) return null
  const markdown = converter().turndown(html).replace(/\n{3,}/g, '\n\n').trim()
  return markdown === '' ? null : markdown
}
