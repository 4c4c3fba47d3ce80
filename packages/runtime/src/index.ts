// @djq/runtime: the Node-side pieces every djq program shares (connection, logging, signals, flags).
export * from "./logger.js";
export * from "./backoff.js";
export * from "./connection.js";
export * from "./keep-alive.js";
export * from "./shutdown-signals.js";
export * from "./cli-flags.js";
export * from "./environment.js";
export * from "./program-version.js";
