// The main thread's side of a session's liveness thread: starts it, stamps every turn of the main
// event loop where the thread can read it, and hears whether the liveness connection is bound or
// lost. Once bound, losing the thread or its connection ends the session (fail-stop): a worker
// never runs unwatched. Until then the main thread's own heartbeats carry on, so a liveness
// connection that cannot be made (a queue that stopped accepting, say) costs nothing but the benefit.
import { Worker as Thread } from "node:worker_threads";
import type { Endpoint } from "@djq/runtime";
import { newLoopStamp, stampMainLoopTurn, type LivenessBinding, type LivenessReport, type LivenessThreadData } from "./liveness-messages.js";

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
  private readonly thread: Thread;
  private readonly stamper: NodeJS.Timeout;
  private stopped = false;
  private bound = false;

  constructor(options: LivenessLinkOptions) {
    const loopStamp = newLoopStamp();
    const data: LivenessThreadData = { endpoint: options.endpoint, loopStamp, stuckLoopKillMs: options.stuckLoopKillMs };
    stampMainLoopTurn(loopStamp);
    this.stamper = setInterval(() => stampMainLoopTurn(loopStamp), STAMP_EVERY_MS);
    this.stamper.unref();
    this.thread = new Thread(new URL("./liveness-thread.js", import.meta.url), { workerData: data });
    // A beating thread must never keep a finished process alive; the session's socket does that.
    this.thread.unref();
    const lost = (reason: string) => {
      if (this.stopped) return;
      this.stop();
      if (this.bound) options.onLost(reason);
      else options.onUnavailable(reason);
    };
    this.thread.on("message", (report: LivenessReport) => {
      if (report.type === "lost") lost(report.reason);
      else if (report.type === "loop-turned") options.onLoopTurned(report.jobId, report.lease);
      else if (!this.stopped) {
        this.bound = true;
        options.onBound();
      }
    });
    this.thread.on("error", (error) => lost(`the liveness thread failed: ${error.message}`));
    this.thread.on("exit", (code) => lost(`the liveness thread exited with code ${code}`));
    this.thread.postMessage(options.binding);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.stamper);
    void this.thread.terminate();
  }
}
