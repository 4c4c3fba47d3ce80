// How beanstalkd's replies read: a line ending in CRLF, and for RESERVED and OK a body of the
// byte count the line gives, then CRLF. Kept apart from the peer program so the split at every
// offset can be tested; beanstalkd's own doc/protocol.txt is the contract.

export interface BeanstalkReply {
  /** The reply line without its CRLF, e.g. "INSERTED 7" or "RESERVED 7 16". */
  line: string;
  /** The body that followed a RESERVED or OK line, without its CRLF. */
  body?: string;
}

const CRLF = Buffer.from("\r\n");
const withBody = /^(?:RESERVED \d+|OK) (\d+)$/;

export class BeanstalkReplies {
  private unread: Buffer = Buffer.alloc(0);
  /** The line of a reply whose body has not all arrived, and the body's length. */
  private awaitingBody: { line: string; bytes: number } | undefined;

  /** Takes bytes as they arrive and calls `onReply` for every reply they complete, in order. */
  push(chunk: Buffer, onReply: (reply: BeanstalkReply) => void): void {
    this.unread = this.unread.length === 0 ? chunk : Buffer.concat([this.unread, chunk]);
    for (;;) {
      if (this.awaitingBody !== undefined) {
        const { line, bytes } = this.awaitingBody;
        if (this.unread.length < bytes + CRLF.length) return;
        const body = this.unread.toString("utf8", 0, bytes);
        this.unread = this.unread.subarray(bytes + CRLF.length);
        this.awaitingBody = undefined;
        onReply({ line, body });
        continue;
      }
      const end = this.unread.indexOf(CRLF);
      if (end < 0) return;
      const line = this.unread.toString("latin1", 0, end);
      this.unread = this.unread.subarray(end + CRLF.length);
      const bodyBytes = withBody.exec(line)?.[1];
      if (bodyBytes === undefined) onReply({ line });
      else this.awaitingBody = { line, bytes: Number(bodyBytes) };
    }
  }
}

/** `put` with the job's body: priority 0, no delay, 60 s to run. */
export function putCommand(body: string): string {
  return `put 0 0 60 ${Buffer.byteLength(body)}\r\n${body}\r\n`;
}

/** The number a reply line carries after its word (INSERTED 7, RESERVED 7 16), or NaN. */
export function replyNumber(line: string): number {
  return Number(line.split(" ")[1]);
}

/** The fields of a stats-tube reply's YAML body that say how many jobs the tube still holds. */
export function jobsInTube(body: string): number {
  let held = 0;
  // Urgent jobs are counted among the ready ones; buried jobs would be a failure the peers never cause.
  for (const field of ["current-jobs-ready", "current-jobs-reserved", "current-jobs-delayed"]) {
    const value = new RegExp(`^${field}: (\\d+)$`, "m").exec(body)?.[1];
    if (value === undefined) throw new Error(`stats-tube gave no ${field}`);
    held += Number(value);
  }
  return held;
}
