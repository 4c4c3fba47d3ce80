// The queue serving TLS with a self-signed certificate, as an operator would set it up: workers
// and clients that trust it get their jobs done; a plain-TCP peer and one that does not trust the
// certificate are turned away with a clear message, and never hang.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runClient, startQueue, startWorker, type QueueProcess } from "./harness/processes.js";
import { RawSocket } from "./harness/raw-socket.js";

let dir: string | undefined;
/** The certificate the queue serves, trusted as its own CA. */
let cert: string;
let key: string;
/** Another self-signed certificate: trusting it is trusting the wrong CA. */
let otherCert: string;

/** Debian's openssl, wherever this PATH does or does not reach (`pnpm test` installs it if it can). */
const openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((path) => existsSync(path));
if (openssl === undefined) console.warn("tls.test.ts: skipped, because no openssl is installed to make its certificates");

/** A self-signed certificate for 127.0.0.1 and localhost, valid for a day. */
function selfSigned(name: string): { cert: string; key: string } {
  const files = { cert: join(dir as string, `${name}-cert.pem`), key: join(dir as string, `${name}-key.pem`) };
  execFileSync(
    openssl as string,
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files.key, "-out", files.cert, "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    { stdio: "ignore" },
  );
  return files;
}

beforeAll(() => {
  if (openssl === undefined) return;
  dir = mkdtempSync(join(tmpdir(), "djq-tls-"));
  ({ cert, key } = selfSigned("queue"));
  otherCert = selfSigned("stranger").cert;
});
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const calmQueue = ["--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "20000"];

async function tlsQueue(): Promise<QueueProcess> {
  const queue = await startQueue([...calmQueue, "--tls-cert", cert, "--tls-key", key]);
  expect(queue.events("queue.listening")[0]).toMatchObject({ tls: true });
  return queue;
}

describe.skipIf(openssl === undefined)("a queue serving TLS", () => {
  it("runs jobs for a worker and a client that trust its certificate", async () => {
    const queue = await tlsQueue();
    const worker = await startWorker(queue.port, ["--worker-id", "tls-worker", "--concurrency", "2", "--tls-ca", cert]);
    await worker.waitForEvent("welcome");
    // The liveness thread's own TLS connection, to the address and with the CA handed to it.
    await queue.waitForEvent("worker.liveness-bound", { worker: "tls-worker" });

    const run = await runClient(queue.port, ["submit", "--count", "5", "--duration", "10", "--wait", "--json", "--tls-ca", cert]);
    expect(run.code, run.stderr).toBe(0);
    const settled = JSON.parse(run.stdout) as { state: string; result?: { workerId: string } }[];
    expect(settled).toHaveLength(5);
    expect(settled.every((job) => job.state === "completed" && job.result?.workerId === "tls-worker")).toBe(true);

    const stats = await runClient(queue.port, ["stats", "--json", "--tls-ca", cert]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ counts: { completed: 5 }, totals: { submitted: 5 } });
    expect(queue.events("job.completed")).toHaveLength(5);
  });

  it("turns away a plain-TCP client with a one-line error and a non-zero exit, and keeps serving", async () => {
    const queue = await tlsQueue();
    const plain = await runClient(queue.port, ["stats"], { timeoutMs: 15_000 });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^error: could not reach the queue at 127\.0\.0\.1:\d+: .*closed/);
    expect(plain.stderr.trim().split("\n")).toHaveLength(1);
    await queue.waitForEvent("connection.tls-failed");

    // A raw plain-text hello gets no reply in clear, only a closed connection.
    const raw = await RawSocket.connect(queue.port);
    raw.send({ id: 1, type: "hello", role: "client", version: 1 });
    await raw.waitClosed();

    const trusted = await runClient(queue.port, ["stats", "--json", "--tls-ca", cert]);
    expect(trusted.code, trusted.stderr).toBe(0);
  });

  it("refuses a client and a worker that do not trust the queue's certificate, saying it is a certificate problem", async () => {
    const queue = await tlsQueue();
    const refused = await runClient(queue.port, ["submit", "--tls-ca", otherCert], { timeoutMs: 15_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: could not reach the queue at 127\.0\.0\.1:\d+: .*certificate/);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);

    const worker = await startWorker(queue.port, ["--worker-id", "distrustful", "--tls-ca", otherCert]);
    const failed = await worker.waitForEvent("connect.failed");
    expect(failed.reason).toMatch(/certificate/);
    // It keeps trying, and never gets in.
    await worker.waitForEvent("reconnecting");
    expect(worker.events("welcome")).toEqual([]);
    expect(queue.events("worker.connected")).toEqual([]);
    expect(queue.events("jobs.submitted")).toEqual([]);
  });
});
