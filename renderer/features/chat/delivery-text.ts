import { i18n, t } from '../../i18n/i18n.svelte'
import { personName } from '../../state/channel-people'
import type { MessageDelivery } from '../../../src/api/contract'

/**
 * One line for who has one of this device's messages: "Delivered to 2 of 3 · waiting for Dave",
 * "Delivered to all 3". Empty when it went to nobody. Counts are devices; names are people.
 */
export function deliveryLine(d: MessageDelivery): string {
  if (d.of === 0) return ''
  if (d.to === d.of) return d.of === 1 ? t('state.delivered') : t('delivery.all', { count: d.of })
  const names = [...new Set(d.waiting.map(personName))]
  const more = d.of - d.to - d.waiting.length
  const who = more > 0 ? t('delivery.andOthers', { names: i18n.list(names), count: more }) : i18n.list(names)
  const parts = [t('delivery.some', { to: d.to, of: d.of }), t(d.failed === d.of - d.to ? 'delivery.failedFor' : 'delivery.waitingFor', { names: who })]
  if (d.mailbox) parts.push(t('delivery.mailbox'))
  return parts.join(' · ')
}
