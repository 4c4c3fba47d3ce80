// beanstalkd's peers for the bench, as bare as the floor's: a producer or a worker speaking
// beanstalkd's text protocol over a plain socket. Same IPC commands and reports as the floor's
// peers, so B, C and U read their figures through beanstalkd the same way they do through djq.
// A worker deletes each job as soon as it is reserved: beanstalkd's `delete` is djq's `complete`.
import { parseArgs } from "node:util";
import { setTimeout as delay } from "node:timers/promises";
import type { ProducerCommand, ProducerReport } from "../bench-messages.js";
import { monotonicMs } from "../monotonic-clock.js";
import { connectBare, noteStarts, oneByOneSubmits, pacedSubmits, serveProducerCommands } from "./bare-peer.js";
import { BeanstalkReplies, jobsInTube, putCommand, replyNumber, type BeanstalkReply } from "./beanstalk-replies.js";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    role: { type: "string" },
    /** The tubes a worker watches (beanstalkd's name for queues). */
    tubes: { type: "string", default: "default" },
  },
});
const replies = new BeanstalkReplies();
let onReply: (reply: BeanstalkReply) => void = () => {};
const socket = await connectBare(Number(values.port), (socket) => socket.on("data", (chunk: Buffer) => replies.push(chunk, (reply) => onReply(reply))));

if (values.role === "worker") runWorker();
else runProducer();

function runWorker(): void {
  const { started, report } = noteStarts();
  const tubes = values.tubes.split(",");
  let watching = 0;
  onReply = ({ line }) => {
    if (line.startsWith("RESERVED ")) {
      const jobId = replyNumber(line);
      started(jobId, monotonicMs());
      socket.write(`delete ${jobId}\r\nreserve\r\n`);
    } else if (line.startsWith("WATCHING ")) {
      watching += 1;
      if (watching === tubes.length) report({ type: "ready" });
    } else if (line !== "DELETED") report({ type: "error", message: `beanstalkd answered a worker with "${line}"` });
  };
  socket.write(`${tubes.map((tube) => `watch ${tube}\r\n`).join("")}reserve\r\n`);
}

function runProducer(): void {
  // beanstalkd answers a connection's commands in the order they came.
  const waiting: ((reply: BeanstalkReply) => void)[] = [];
  onReply = (reply) => waiting.shift()?.(reply);
  const request = (command: string) =>
    new Promise<BeanstalkReply>((resolve) => {
      waiting.push(resolve);
      socket.write(command);
    });
  let tube = "default";
  const use = async (wanted: string) => {
    if (wanted === tube) return;
    const { line } = await request(`use ${wanted}\r\n`);
    if (line !== `USING ${wanted}`) throw new Error(`use ${wanted}: beanstalkd answered "${line}"`);
    tube = wanted;
  };
  const put = async (body: string) => {
    const { line } = await request(putCommand(body));
    if (!line.startsWith("INSERTED ")) throw new Error(`put: beanstalkd answered "${line}"`);
    return replyNumber(line);
  };
  /** Until the workers have deleted every job: beanstalkd tells no producer when a job is done. */
  const drained = async () => {
    for (;;) {
      const { line, body } = await request(`stats-tube ${tube}\r\n`);
      if (body === undefined) throw new Error(`stats-tube ${tube}: beanstalkd answered "${line}"`);
      if (jobsInTube(body) === 0) return;
      await delay(1);
    }
  };

  async function run(command: ProducerCommand): Promise<ProducerReport | undefined> {
    if (command.type === "exit") process.exit(0);
    if (command.type !== "serial" && command.type !== "paced" && command.type !== "one-by-one") {
      throw new Error(`the beanstalkd producer does not do "${command.type}"`);
    }
    await use(command.spec.queue ?? "default");
    const body = JSON.stringify(command.spec);
    if (command.type === "serial") {
      const startedAt = monotonicMs();
      for (let i = 0; i < command.jobs; i++) await put(body);
      await drained();
      return { type: "serial-done", startedAt, settledAt: monotonicMs(), failed: 0 };
    }
    if (command.type === "paced") {
      const { startedAt, submits } = await pacedSubmits(command.rate, command.durationMs, () => put(body));
      await drained();
      return { type: "paced-done", startedAt, settledAt: monotonicMs(), submits };
    }
    const submits = await oneByOneSubmits(command.jobs, () => put(body));
    return { type: "one-by-one-done", submits };
  }

  serveProducerCommands(run)({ type: "ready" });
}
