// What the queue has produced for one peer and not yet handed to the kernel, bounded in bytes
// as each frame is added: a frame that would take the peer past its bound is refused before it
// is queued, so a peer that never reads costs at most the bound, never a turn's worth of replies.
import type net from "node:net";

interface HeldFrames {
  epoch: number;
  text: string;
  bytes: number;
  /** Replies the peer does not wait on (a worker's acks): once durable they may linger for company. */
  mayLinger: boolean;
}

export class OutputBuffer {
  private frames: string[] = [];
  /** Frames that go out with the next flush even when the frames before them are held. */
  private ahead: string[] = [];
  private queuedBytes = 0;
  private aheadBytes = 0;
  private heldBytes = 0;
  /** Frames of earlier turns waiting for their journal records to be durable, oldest first. */
  private held: HeldFrames[] = [];

  /** @param heldTally told of every change in the bytes held for the journal, summed over peers */
  constructor(
    private readonly socket: net.Socket,
    readonly limitBytes: number,
    private readonly heldTally: ((deltaBytes: number) => void) | undefined = undefined,
  ) {}

  /** Bytes produced for the peer and not yet taken by the kernel: the socket's and ours. */
  get unsentBytes(): number {
    return this.socket.writableLength + this.queuedBytes + this.aheadBytes + this.heldBytes;
  }

  /** Bytes that may still be added before the bound is reached. */
  get roomBytes(): number {
    return this.limitBytes - this.unsentBytes;
  }

  get isEmpty(): boolean {
    return this.frames.length === 0 && this.ahead.length === 0;
  }

  /** Queues the frame and returns true, or returns false (queuing nothing) if it would pass the
   * bound. `ahead`: it leaves with the next flush, past any frames held before it. */
  add(frame: string, frameBytes = Buffer.byteLength(frame), ahead = false): boolean {
    if (this.unsentBytes + frameBytes > this.limitBytes) return false;
    if (ahead) {
      this.ahead.push(frame);
      this.aheadBytes += frameBytes;
    } else {
      this.frames.push(frame);
      this.queuedBytes += frameBytes;
    }
    return true;
  }

  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Writes what is queued (not held) as one string in one write: one syscall and one UTF-8
   * conversion. What goes ahead goes first. */
  flush(): void {
    const frames = this.ahead.length === 0 ? this.frames : this.frames.length === 0 ? this.ahead : [...this.ahead, ...this.frames];
    if (frames.length === 0) return;
    this.frames = [];
    this.ahead = [];
    this.queuedBytes = 0;
    this.aheadBytes = 0;
    this.socket.write(oneString(frames));
  }

  /** Sets what is queued aside until `epoch` of the journal is durable, except what goes ahead;
   * still counted against the bound. */
  hold(epoch: number, mayLinger = false): void {
    const frames = this.frames;
    if (frames.length === 0) return;
    const bytes = this.queuedBytes;
    this.frames = [];
    this.queuedBytes = 0;
    this.heldBytes += bytes;
    this.heldTally?.(bytes);
    this.held.push({ epoch, text: oneString(frames), bytes, mayLinger });
  }

  /**
   * Moves the held frames whose epoch is durable, in order up to the first that is not, to go
   * with the next flush (ahead of anything queued since, which is newer and may still wait).
   * Returns undefined if none was, else whether all of them may linger.
   */
  releaseDurable(isDurable: (epoch: number) => boolean): boolean | undefined {
    let mayLinger: boolean | undefined;
    while (this.held.length > 0 && isDurable((this.held[0] as HeldFrames).epoch)) {
      const group = this.held.shift() as HeldFrames;
      this.ahead.push(group.text);
      this.aheadBytes += group.bytes;
      this.heldBytes -= group.bytes;
      this.heldTally?.(-group.bytes);
      mayLinger = (mayLinger ?? true) && group.mayLinger;
    }
    return mayLinger;
  }

  /** Writes only what goes ahead, leaving queued frames for the journal's check. */
  flushAhead(): void {
    const ahead = this.ahead;
    if (ahead.length === 0) return;
    this.ahead = [];
    this.aheadBytes = 0;
    this.socket.write(oneString(ahead));
  }

  discard(): void {
    if (this.heldBytes > 0) this.heldTally?.(-this.heldBytes);
    this.frames = [];
    this.ahead = [];
    this.held = [];
    this.queuedBytes = 0;
    this.aheadBytes = 0;
    this.heldBytes = 0;
  }
}

/** The frames as one string; a lone frame as it is, without a join's copy. */
function oneString(frames: readonly string[]): string {
  return frames.length === 1 ? (frames[0] as string) : frames.join("");
}
