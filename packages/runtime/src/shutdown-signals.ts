// SIGINT/SIGTERM handling shared by every program: the first signal starts a graceful stop; a
// second one, from an operator who does not want to wait, runs `hurry` (bounded in time) and
// exits 130 at once.

export interface HurryOptions {
  /** What a second signal does before the exit, e.g. release running jobs. Best effort. */
  hurry?: (signal: NodeJS.Signals) => Promise<void> | void;
  /** How long `hurry` may take before the program exits anyway. Default 3 s. */
  hurryBoundMs?: number;
}

export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void> | void, options: HurryOptions = {}): void {
  let stopping = false;
  let hurrying = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A third signal while hurrying exits without waiting any longer.
      if (hurrying || options.hurry === undefined) process.exit(130);
      hurrying = true;
      process.exitCode = 130; // whichever finishes first, the graceful stop or the bound, exits 130
      const bound = new Promise<void>((resolve) => setTimeout(resolve, options.hurryBoundMs ?? 3_000));
      const hurried = Promise.resolve().then(() => options.hurry!(signal)).catch((error: unknown) => {
        process.stderr.write(`exiting without releasing everything: ${(error as Error).message ?? String(error)}\n`);
      });
      void Promise.race([hurried, bound]).then(() => process.exit(130));
      return;
    }
    stopping = true;
    Promise.resolve(stop(signal)).then(
      () => process.exit(process.exitCode ?? 0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}
