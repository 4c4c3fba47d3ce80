// GET /events: a Server-Sent Events stream that pushes one stats snapshot a second to every open
// page. One snapshot is built per tick and shared by all clients; the timer runs only while
// someone listens. Bounded: a client limit, and a slow reader is dropped rather than buffered for.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { QueueFacade, Snapshot } from "./queue-facade.js";

export interface EventStreamLimits {
  maxClients: number;
  intervalMs: number;
  /** Unsent bytes held for one client before it is dropped. */
  maxBufferedBytes: number;
}

export const defaultEventStreamLimits: EventStreamLimits = { maxClients: 100, intervalMs: 1_000, maxBufferedBytes: 1024 * 1024 };

/** Workers and queues shown at most; the page says how many more there are. */
const MAX_LISTED = 200;

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: QueueFacade,
    private readonly limits: EventStreamLimits = defaultEventStreamLimits,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes the request over as a stream; false when the client limit is reached. */
  open(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.clients.size >= this.limits.maxClients) return false;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-content-type-options": "nosniff",
    });
    this.clients.add(response);
    request.socket.setNoDelay(true);
    response.on("close", () => this.remove(response));
    response.write(`retry: 2000\n\n${frame(this.queue.snapshot())}`);
    this.timer ??= setInterval(() => this.tick(), this.limits.intervalMs);
    return true;
  }

  close(): void {
    for (const response of this.clients) response.end();
    this.clients.clear();
    this.stopTimer();
  }

  private tick(): void {
    const text = frame(this.queue.snapshot());
    for (const response of this.clients) {
      if (response.writableLength > this.limits.maxBufferedBytes) {
        response.destroy();
        this.remove(response);
        continue;
      }
      response.write(text);
    }
  }

  private remove(response: ServerResponse): void {
    this.clients.delete(response);
    if (this.clients.size === 0) this.stopTimer();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The page's view of a snapshot: long lists cut to their first MAX_LISTED entries. */
export function pageSnapshot(snapshot: Snapshot): Snapshot & { workerCount: number; queueCount: number } {
  const queues = Object.entries(snapshot.queues);
  return {
    ...snapshot,
    workers: snapshot.workers.slice(0, MAX_LISTED),
    queues: Object.fromEntries(queues.slice(0, MAX_LISTED)),
    workerCount: snapshot.workers.length,
    queueCount: queues.length,
  };
}

function frame(snapshot: Snapshot): string {
  return `event: stats\ndata: ${JSON.stringify(pageSnapshot(snapshot))}\n\n`;
}
