import { errorMessage } from './errors'

/**
 * One user action's state for a view: running (disable the button), why it failed (in words),
 * whether it just succeeded ("Saved"). Every form runs its action through one of these.
 */
export class PendingAction {
  busy = $state(false)
  error = $state('')
  done = $state(false)

  /** Runs `action`; true when it succeeded. Never throws: a failure becomes `error`. */
  async run(action: () => Promise<unknown>): Promise<boolean> {
    this.busy = true
    this.error = ''
    this.done = false
    try {
      await action()
      this.done = true
      return true
    } catch (err) {
      this.error = errorMessage(err)
      return false
    } finally {
      this.busy = false
    }
  }

  /** Forget the last outcome (the user changed something). */
  reset(): void {
    this.error = ''
    this.done = false
  }
}
