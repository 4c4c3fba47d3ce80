// The one way a handler says "retrying cannot help": the attempt is reported with
// `permanent: true`, so the queue fails the job now instead of spending its remaining attempts.

export class PermanentJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermanentJobError";
  }
}
