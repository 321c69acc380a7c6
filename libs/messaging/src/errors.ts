/** A message that will never be handled: dead-lettered at once with this reason. */
export class PermanentFailure extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentFailure';
  }
}

/** A message that may be handled later: retried with back-off. Any other error is treated the same. */
export class RetryLater extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryLater';
  }
}
