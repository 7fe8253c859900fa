import { t } from '../i18n/i18n.svelte'
import { errorCode } from './session.svelte'

/** Words for an API error, in the current language; the code decides, the detail helps. */
export function errorMessage(err: unknown): string {
  const code = errorCode(err)
  const detail = err instanceof Error ? err.message : String(err)
  switch (code) {
    case 'bad-request': return t('error.bad-request', { detail })
    case 'unknown-method': return t('error.unknown-method')
    case 'not-found': return t('error.not-found')
    case 'peer-unreachable': return t('error.peer-unreachable')
    case 'too-large': return t('error.too-large')
    case 'over-quota': return t('error.over-quota')
    case 'unauthorized': return t('error.unauthorized')
    case 'node-not-running': return t('error.node-not-running')
    case 'invite-invalid': return t('error.invite-invalid')
    case 'already-member': return t('error.already-member')
    case 'not-member': return t('error.not-member')
    case 'not-committer': return t('error.not-committer')
    case 'undecryptable': return t('error.undecryptable')
    case 'rate-limited': return t('error.rate-limited')
    case 'backup-locked': return t('error.backup-locked')
    case 'backup-damaged': return t('error.backup-damaged')
    case 'catching-up': return t('error.catching-up')
    case 'blocked-by-policy': return t('error.blocked-by-policy', { detail })
    default: return t('error.other', { detail })
  }
}
