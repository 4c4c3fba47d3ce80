// SIGINT/SIGTERM handling shared by every program: the first signal starts a graceful stop,
// a second one exits at once for an operator who does not want to wait.

export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void> | void): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
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
