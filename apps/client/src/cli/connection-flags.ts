// The flags every subcommand shares (where the queue is, how to authenticate, output format) and
// the one place that turns them into a connected client.
import { readFileSync } from "node:fs";
import { QueueError, createLogger, flagOrEnvironment, integerFlag, logFormats, logLevels, type LogFormat, type LogLevel } from "@djq/runtime";
import { connectClient, type DjqClient } from "../client.js";
import { UsageError, type CliIo } from "./command.js";

export const connectionFlags = {
  host: { type: "string" },
  port: { type: "string" },
  secret: { type: "string" },
  "tls-ca": { type: "string" },
  "tls-servername": { type: "string" },
  json: { type: "boolean", default: false },
  "log-level": { type: "string", default: "warn" },
  "log-format": { type: "string", default: "text" },
} as const;

export const connectionUsage = `Common flags:
  --host HOST            queue host (default: $DJQ_HOST, else 127.0.0.1)
  --port PORT            queue port (default: $DJQ_PORT, else 7070)
  --secret SECRET        client secret (default: $DJQ_CLIENT_SECRET)
  --tls-ca FILE          use TLS, trusting the CA in this PEM file (default: $DJQ_TLS_CA)
  --tls-servername NAME  name on the queue's certificate (default: $DJQ_TLS_SERVERNAME, else the host)
  --json                 machine-readable output on stdout
  --log-level LEVEL      debug|info|warn|error|silent for the connection's events on stderr (default warn)
  --log-format FORMAT    text|json (default text)
  -h, --help             show this help
A flag wins over its environment variable.`;

export interface ConnectionValues {
  host?: string;
  port?: string;
  secret?: string;
  "tls-ca"?: string;
  "tls-servername"?: string;
  "log-level"?: string;
  "log-format"?: string;
}

/** Connects, runs `use`, and always closes: a CLI run never leaves a socket behind. */
export async function withClient<R>(values: ConnectionValues, io: CliIo, use: (client: DjqClient) => Promise<R>): Promise<R> {
  const { host, port } = queueAddress(values, io);
  const caFile = flagOrEnvironment(values["tls-ca"], "tlsCa", io.env);
  const secret = flagOrEnvironment(values.secret, "clientSecret", io.env);
  const servername = flagOrEnvironment(values["tls-servername"], "tlsServername", io.env);
  // Without --tls-servername the runtime picks the name (the host, or none for an IP address).
  const tls = caFile !== undefined ? { ca: readCa(caFile), ...(servername !== undefined ? { servername } : {}) } : undefined;
  const client = await connectClient({
    host,
    port,
    ...(secret !== undefined ? { secret } : {}),
    ...(tls !== undefined ? { tls } : {}),
    // By default reconnects and restarts are worth a line on stderr; routine traffic is not.
    logger: createLogger({
      program: "djq",
      level: choice("log-level", values["log-level"] ?? "warn", logLevels) as LogLevel,
      format: choice("log-format", values["log-format"] ?? "text", logFormats) as LogFormat,
      write: (line) => io.err(line),
    }),
  }).catch((error: unknown) => {
    // A refusal (wrong secret) speaks for itself; a socket error needs to say where it went.
    if (error instanceof QueueError) throw error;
    throw new Error(`could not reach the queue at ${host}:${port}: ${(error as Error).message}`);
  });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** Where the queue is: the flags, else DJQ_HOST and DJQ_PORT, else 127.0.0.1:7070. */
export function queueAddress(values: Pick<ConnectionValues, "host" | "port">, io: CliIo): { host: string; port: number } {
  return {
    host: flagOrEnvironment(values.host, "host", io.env) ?? "127.0.0.1",
    port: integerFlag("port", flagOrEnvironment(values.port, "port", io.env), 7070, 1),
  };
}

function choice(flag: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  return value;
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`--tls-ca: cannot read ${file}: ${(error as Error).message}`);
  }
}
