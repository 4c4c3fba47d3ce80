// Every setting of the queue process with its default. main.ts fills it from flags and the
// environment; tests build it directly.
import { DEFAULT_FRAME_BYTES } from "@djq/protocol";
import { defaultCoreConfig, type CoreConfig } from "@djq/core";
import type { JournalSettings } from "./queue-journal.js";

export interface QueueConfig {
  host: string;
  port: number;
  /** How often workers heartbeat; their silence limit is `core.heartbeatTimeoutMs`. */
  heartbeatIntervalMs: number;
  /**
   * Clients hold no leases: they heartbeat only to notice a queue that vanished without closing
   * the socket, for which seconds will do. Workers' settings would make 1,000 idle clients cost
   * the queue 5,000 heartbeats a second.
   */
  clientHeartbeatIntervalMs: number;
  clientHeartbeatTimeoutMs: number;
  core: CoreConfig;
  maxFrameBytes: number;
  maxPayloadBytes: number;
  maxConnections: number;
  /** Bad messages a connection may send before it is closed. */
  maxErrors: number;
  helloTimeoutMs: number;
  /** Time a started line has to reach its newline, before hello and after it. */
  lineTimeoutMs: number;
  /** Bytes the queue will hold unsent for one slow reader before dropping it. */
  maxOutputBytes: number;
  clientSecret: string | undefined;
  workerSecret: string | undefined;
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** How long shutdown waits for running jobs to report. */
  graceMs: number;
  /** Check the core's invariants after every event (slow; for fuzzing and chaos runs). */
  checkInvariants: boolean;
  /** With `--journal DIR`: record every change there and recover from it on start. Off by default. */
  journal: JournalSettings | undefined;
}

export const defaultQueueConfig: QueueConfig = {
  host: "127.0.0.1",
  port: 7070,
  heartbeatIntervalMs: 200,
  clientHeartbeatIntervalMs: 1_000,
  clientHeartbeatTimeoutMs: 5_000,
  core: defaultCoreConfig,
  maxFrameBytes: DEFAULT_FRAME_BYTES,
  maxPayloadBytes: 64 * 1024,
  maxConnections: 10_000,
  maxErrors: 20,
  helloTimeoutMs: 5_000,
  lineTimeoutMs: 30_000,
  maxOutputBytes: 8 * 1024 * 1024,
  clientSecret: undefined,
  workerSecret: undefined,
  tls: undefined,
  graceMs: 10_000,
  checkInvariants: false,
  journal: undefined,
};
