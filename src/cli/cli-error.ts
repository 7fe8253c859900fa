/** A command-line mistake: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command: string) {
    super(message)
    this.name = 'UsageError'
  }
}
