// Heartbeats from a worker or client to the queue, and the check that the queue still answers.
// Silence is counted from a heartbeat that went unanswered, never from the last message alone:
// a peer whose own event loop stalled (a CPU-bound job, a paused process) must not blame the
// queue for its own deafness, so a suspected silence is confirmed only after pending input has
// been read.
import type { QueueConnection } from "./connection.js";

export interface KeepAliveOptions {
  intervalMs: number;
  /** How long a heartbeat may go unanswered, with nothing else heard, before `onSilent`. */
  silenceMs: number;
  onSilent: (silentMs: number) => void;
}

/** Starts heartbeats on the connection; they stop when it closes, or when the returned function is called. */
export function keepAlive(connection: QueueConnection, options: KeepAliveOptions): () => void {
  let unansweredSince: number | undefined;
  const silentFor = (now: number): number | undefined => {
    if (unansweredSince === undefined || connection.lastHeardAt >= unansweredSince) return undefined;
    const silentMs = now - unansweredSince;
    return silentMs > options.silenceMs ? silentMs : undefined;
  };
  const timer = setInterval(() => {
    const now = Date.now();
    if (unansweredSince !== undefined && connection.lastHeardAt >= unansweredSince) unansweredSince = undefined;
    if (silentFor(now) !== undefined) {
      // Input that arrived while this process was stalled is read in the poll phase, which runs
      // before setImmediate callbacks: look again once it has been.
      setImmediate(() => {
        const silentMs = silentFor(Date.now());
        if (silentMs !== undefined && !connection.closed) options.onSilent(silentMs);
      });
      return;
    }
    unansweredSince ??= now;
    connection.request({ type: "heartbeat" }).catch(() => {
      // A heartbeat lost with its connection needs no handling: the close is reported elsewhere.
    });
  }, options.intervalMs);
  // The socket, not this timer, decides whether the process stays up.
  timer.unref();
  const stop = () => clearInterval(timer);
  connection.onClose(stop);
  return stop;
}
