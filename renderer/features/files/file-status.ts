import { i18n, t } from '../../i18n/i18n.svelte'
import type { FileView } from '../../../src/api/contract'

/** How far a file's transfer is, 0–100. */
export function percentOf(view: FileView | undefined): number {
  return view === undefined || view.size === 0 ? 0 : Math.floor((view.haveBytes / view.size) * 100)
}

/** Where a file stands on this device, in a few words ('' when there is nothing to say). */
export function fileStatus(view: FileView | undefined): string {
  if (view === undefined) return ''
  if (view.blocked && view.state !== 'complete') return t('files.blocked')
  const pct = percentOf(view)
  switch (view.state) {
    case 'complete': return view.mine ? t('files.shared') : t('files.here')
    case 'remote': return view.error === null ? '' : t('files.nobodyHasIt')
    case 'paused': return t('files.paused', { pct })
    case 'fetching':
      if (view.error !== null && view.bytesPerSecond === 0) return t('files.waiting')
      return view.etaSeconds === null ? t('files.fetching', { pct }) : t('files.progress', { pct, speed: i18n.bytes(view.bytesPerSecond), eta: i18n.duration(view.etaSeconds) })
  }
}
