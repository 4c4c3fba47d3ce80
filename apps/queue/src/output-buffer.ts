// What the queue has produced for one peer and not yet handed to the kernel, bounded in bytes
// as each frame is added: a frame that would take the peer past its bound is refused before it
// is queued, so a peer that never reads costs at most the bound, never a turn's worth of replies.
import type net from "node:net";

export class OutputBuffer {
  private frames: string[] = [];
  private queuedBytes = 0;

  constructor(
    private readonly socket: net.Socket,
    readonly limitBytes: number,
  ) {}

  /** Bytes produced for the peer and not yet taken by the kernel: the socket's and ours. */
  get unsentBytes(): number {
    return this.socket.writableLength + this.queuedBytes;
  }

  /** Bytes that may still be added before the bound is reached. */
  get roomBytes(): number {
    return this.limitBytes - this.unsentBytes;
  }

  get isEmpty(): boolean {
    return this.frames.length === 0;
  }

  /** Queues the frame and returns true, or returns false (queuing nothing) if it would pass the bound. */
  add(frame: string, frameBytes = Buffer.byteLength(frame)): boolean {
    if (this.unsentBytes + frameBytes > this.limitBytes) return false;
    this.frames.push(frame);
    this.queuedBytes += frameBytes;
    return true;
  }

  /** Writes what is queued as one string in one write: one syscall and one UTF-8 conversion. */
  flush(): void {
    const frames = this.frames;
    if (frames.length === 0) return;
    this.frames = [];
    this.queuedBytes = 0;
    this.socket.write(frames.length === 1 ? (frames[0] as string) : frames.join(""));
  }

  discard(): void {
    this.frames = [];
    this.queuedBytes = 0;
  }
}
