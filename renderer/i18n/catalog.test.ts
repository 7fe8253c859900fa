import assert from 'node:assert/strict'
import { test } from 'node:test'
import { IntlMessageFormat } from 'intl-messageformat'
import { TYPE } from '@formatjs/icu-messageformat-parser'
import { en, type MessageKey } from './en.js'
import { zhCN } from './zh-CN.js'

/** The argument names a compiled message uses (plurals' `count` included). */
function argumentsOf(format: IntlMessageFormat): string[] {
  const names = new Set<string>()
  const walk = (elements: ReturnType<IntlMessageFormat['getAst']>): void => {
    for (const el of elements) {
      if (el.type !== TYPE.literal && 'value' in el && typeof el.value === 'string') names.add(el.value)
      if ('options' in el) for (const option of Object.values(el.options)) walk(option.value)
    }
  }
  walk(format.getAst())
  return [...names].sort()
}

test('every UI string is a valid ICU message in both languages, with the same arguments', () => {
  for (const key of Object.keys(en) as MessageKey[]) {
    const formats = [['en', en[key]], ['zh-CN', zhCN[key]]].map(([lang, template]) => new IntlMessageFormat(template ?? '', lang, undefined, { ignoreTag: true }))
    const [english, chinese] = formats.map(argumentsOf)
    assert.deepEqual(chinese, english, `${key}: the translation takes other arguments`)
  }
})

test('plurals follow each language: one reply, two replies; Chinese has one form', () => {
  const replies = (lang: string, template: string, count: number): string => String(new IntlMessageFormat(template, lang, undefined, { ignoreTag: true }).format({ count }))
  assert.equal(replies('en', en['thread.replies'], 1), '1 reply')
  assert.equal(replies('en', en['thread.replies'], 2), '2 replies')
  assert.equal(replies('zh-CN', zhCN['thread.replies'], 1), '1 条回复')
})
