// The main thread's side of a session's liveness thread: starts it, stamps every turn of the main
// event loop where the thread can read it, and hears whether the liveness connection is bound or
// lost. If the thread dies, the session ends with it (fail-stop): a worker never runs unwatched.
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
  onLost: (reason: string) => void;
}

export class LivenessLink {
  private readonly thread: Thread;
  private readonly stamper: NodeJS.Timeout;
  private stopped = false;

  constructor(options: LivenessLinkOptions) {
    const data: LivenessThreadData = { endpoint: options.endpoint, ...newLoopStamp(), stuckLoopKillMs: options.stuckLoopKillMs };
    stampMainLoopTurn(data);
    this.stamper = setInterval(() => stampMainLoopTurn(data), STAMP_EVERY_MS);
    this.stamper.unref();
    this.thread = new Thread(new URL("./liveness-thread.js", import.meta.url), { workerData: data });
    // A beating thread must never keep a finished process alive; the session's socket does that.
    this.thread.unref();
    const lost = (reason: string) => {
      if (this.stopped) return;
      this.stop();
      options.onLost(reason);
    };
    this.thread.on("message", (report: LivenessReport) => {
      if (report.type === "bound") {
        if (!this.stopped) options.onBound();
      } else lost(report.reason);
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
