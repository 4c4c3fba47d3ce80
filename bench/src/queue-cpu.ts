// The queue's own CPU per job on the one-job path, without the other processes' noise: the queue
// runs in this process, with bare peers on real loopback sockets (one client submitting one job at
// a time and awaiting each `submitted`, two workers completing each job at once and fetching
// again in the same write). The peers only scan for ids and write fixed text, so what this
// process spends beyond theirs is the queue's: compare builds by running each build's copy.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { defaultJournalSettings, startQueueServer } from "@djq/queue";
import { choiceFlag, createLogger, exitOnFlagError, integerFlag, parseFlags } from "@djq/runtime";
import { journalModes } from "./workloads/journal-cost.js";

const command = "node bench/dist/queue-cpu.js";
const usage = `usage: ${command} [--shape B|U] [--jobs N] [--rounds N] [--journal off|always|interval]
  --shape    B: a sleep job, watched (default); U: a job of the user's type on its named queue, with a payload
  --jobs     jobs per measured round (default 20000)
  --rounds   measured rounds, after a warm-up of 3,000 jobs (default 3)
  --journal  record to a fresh directory, removed at the end (default off)`;

const { shape, jobs, rounds, journalMode } = exitOnFlagError(command, () => {
  const { values } = parseFlags(process.argv.slice(2), {
    command,
    usage,
    options: { shape: { type: "string" }, jobs: { type: "string" }, rounds: { type: "string" }, journal: { type: "string" } },
  });
  return {
    shape: choiceFlag("shape", values.shape, ["B", "U"] as const, "B"),
    jobs: integerFlag("jobs", values.jobs, 20_000, 1),
    rounds: integerFlag("rounds", values.rounds, 3, 1),
    journalMode: choiceFlag("journal", values.journal, journalModes, "off"),
  };
});
const WARM_UP_JOBS = 3_000;
const journal = journalMode === "off" ? undefined : { ...defaultJournalSettings, dir: join(mkdtempSync(join(tmpdir(), "djq-queue-cpu-")), "journal"), fsync: journalMode };

const queue = await startQueueServer({ host: "127.0.0.1", port: 0, journal }, createLogger({ program: "queue", level: "warn" }));
let lastRequestId = 1;

/** A connected socket that hands each line it receives to `onLine`. */
function connect(onLine: (line: string, socket: net.Socket) => void): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect(queue.port, "127.0.0.1", () => resolve(socket));
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    let unread = "";
    socket.on("data", (text: string) => {
      unread += text;
      for (let end = unread.indexOf("\n"); end >= 0; end = unread.indexOf("\n")) {
        onLine(unread.slice(0, end), socket);
        unread = unread.slice(end + 1);
      }
    });
  });
}

// {"id":4,"type":"assign","jobs":[{"jobId":7,"lease":9,…}]}  →  complete it and fetch again, in one write
function workerHears(line: string, socket: net.Socket): void {
  if (line.includes('"type":"welcome"')) socket.write(`{"id":${++lastRequestId},"type":"fetch","max":1}\n`);
  if (!line.includes('"type":"assign"')) return;
  const jobId = /"jobId":(\d+)/.exec(line)?.[1];
  const lease = /"lease":(\d+)/.exec(line)?.[1];
  socket.write(`{"id":${++lastRequestId},"type":"complete","jobs":[{"jobId":${jobId},"lease":${lease},"result":"sent"}]}\n{"id":${++lastRequestId},"type":"fetch","max":1}\n`);
}

for (const workerId of ["w0", "w1"]) {
  const worker = await connect(workerHears);
  worker.write(`{"id":1,"type":"hello","role":"worker","version":1,"workerId":"${workerId}"${shape === "U" ? ',"queues":["emails"]' : ""}}\n`);
}
let answered = (): void => undefined;
const client = await connect((line) => {
  if (line.includes('"type":"submitted"') || line.includes('"type":"welcome"')) answered();
});
await new Promise<void>((resolve) => {
  answered = resolve;
  client.write('{"id":1,"type":"hello","role":"client","version":1}\n');
});

const spec = shape === "U" ? '{"type":"send-email","queue":"emails","payload":{"to":"user@example.com","subject":"Welcome","template":"welcome-1"}}' : '{"type":"sleep","durationMs":0}';
let submitted = 0;
/** `count` submits, each sent once the one before is acknowledged, each with its own key (as the client library sends them). */
function submitOneByOne(count: number): Promise<void> {
  return new Promise((resolve) => {
    let left = count;
    const send = () => {
      submitted += 1;
      client.write(`{"id":${++lastRequestId},"type":"submit","jobs":[${spec}],"key":"key-${submitted}"${shape === "B" ? ',"watch":true' : ""}}\n`);
    };
    answered = () => {
      left -= 1;
      if (left === 0) resolve();
      else send();
    };
    send();
  });
}

await submitOneByOne(WARM_UP_JOBS);
for (let round = 1; round <= rounds; round++) {
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  await submitOneByOne(jobs);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - startedAt;
  const perJob = (us: number) => (us / jobs).toFixed(1);
  process.stdout.write(`${shape} round ${round}: ${jobs} jobs, CPU per job ${perJob(cpu.user)} µs user / ${perJob(cpu.system)} µs kernel, ${Math.round((jobs * 1000) / wallMs)} jobs/s\n`);
}
if (journal !== undefined) rmSync(dirname(journal.dir), { recursive: true, force: true });
process.exit(0);
