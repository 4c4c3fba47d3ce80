// The main thread's side of a session's liveness: one thread per process serves every session
// (each Worker instance, each reconnect), the main event loop stamps every turn where that thread
// can read it, and each session hears whether its liveness connection is bound or lost. Once
// bound, losing the thread or the connection ends the session (fail-stop): a worker never runs
// unwatched. Until then the main thread's own heartbeats carry on, so a liveness connection that
// cannot be made (a queue that stopped accepting, say) costs nothing but the benefit.
import { Worker as Thread } from "node:worker_threads";
import type { Endpoint } from "@djq/runtime";
import { newLoopStamp, stampMainLoopTurn, type LivenessBinding, type LivenessCommand, type LivenessReport, type LivenessThreadData } from "./liveness-messages.js";

/** How often the main loop stamps that it turned: the resolution of the thread's stuck-loop check. */
const STAMP_EVERY_MS = 100;

export interface LivenessLinkOptions {
  endpoint: Endpoint;
  binding: LivenessBinding;
  stuckLoopKillMs: number;
  onBound: () => void;
  /** The bound liveness connection or its thread is gone: the session must end. */
  onLost: (reason: string) => void;
  /** The liveness connection could not be bound; the session goes on with the main thread's heartbeats. */
  onUnavailable: (reason: string) => void;
  /** The thread checked the main loop after an abandon and found it turning: no kill. */
  onLoopTurned: (jobId: number, lease: number) => void;
}

export class LivenessLink {
  private readonly sessionId: number;
  private readonly thread: SharedLivenessThread;
  private stopped = false;
  private bound = false;

  constructor(private readonly options: LivenessLinkOptions) {
    this.thread = SharedLivenessThread.get();
    this.sessionId = this.thread.add(this);
    this.thread.send({ type: "bind", sessionId: this.sessionId, endpoint: options.endpoint, binding: options.binding, stuckLoopKillMs: options.stuckLoopKillMs });
  }

  heard(report: LivenessReport): void {
    if (this.stopped) return;
    if (report.type === "lost") this.lost(report.reason);
    else if (report.type === "loop-turned") this.options.onLoopTurned(report.jobId, report.lease);
    else {
      this.bound = true;
      this.options.onBound();
    }
  }

  lost(reason: string): void {
    if (this.stopped) return;
    this.stop();
    if (this.bound) this.options.onLost(reason);
    else this.options.onUnavailable(reason);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.thread.remove(this.sessionId);
  }
}

/** The process's one liveness thread, started for the first session and ended after the last. */
class SharedLivenessThread {
  private static current: SharedLivenessThread | undefined;
  private readonly thread: Thread;
  private readonly stamper: NodeJS.Timeout;
  private readonly links = new Map<number, LivenessLink>();
  private lastSessionId = 0;
  private ended = false;

  static get(): SharedLivenessThread {
    SharedLivenessThread.current ??= new SharedLivenessThread();
    return SharedLivenessThread.current;
  }

  private constructor() {
    const loopStamp = newLoopStamp();
    const data: LivenessThreadData = { loopStamp };
    stampMainLoopTurn(loopStamp);
    this.stamper = setInterval(() => stampMainLoopTurn(loopStamp), STAMP_EVERY_MS);
    this.stamper.unref();
    this.thread = new Thread(new URL("./liveness-thread.js", import.meta.url), { workerData: data });
    // A beating thread must never keep a finished process alive; the sessions' sockets do that.
    this.thread.unref();
    this.thread.on("message", (report: LivenessReport) => this.links.get(report.sessionId)?.heard(report));
    this.thread.on("error", (error) => this.end(`the liveness thread failed: ${error.message}`));
    this.thread.on("exit", (code) => this.end(`the liveness thread exited with code ${code}`));
  }

  add(link: LivenessLink): number {
    this.links.set(++this.lastSessionId, link);
    return this.lastSessionId;
  }

  send(command: LivenessCommand): void {
    this.thread.postMessage(command);
  }

  remove(sessionId: number): void {
    if (!this.links.delete(sessionId) || this.ended) return;
    if (this.links.size > 0) this.send({ type: "unbind", sessionId });
    else this.end(undefined);
  }

  /** Stops the thread; with a reason, every session still linked to it has lost its liveness. */
  private end(reason: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (SharedLivenessThread.current === this) SharedLivenessThread.current = undefined;
    clearInterval(this.stamper);
    void this.thread.terminate();
    if (reason === undefined) return;
    const links = [...this.links.values()];
    this.links.clear();
    for (const link of links) link.lost(reason);
  }
}
