// A `list` reply built view by view and measured as it grows: the page ends where the next job
// would pass the frame limit the queue announced, and a peer whose unsent output could not take
// the page is dropped before the rest of it is built.
import { type JobView, type RequestId } from "@djq/protocol";
import type { ListQuery, QueueCore } from "@djq/core";
import type { Peer } from "./handlers.js";

/** `,"next":` and a job id, `]}` and the newline. */
const PAGE_TAIL_BYTES = 40;

export function sendJobsPage(core: QueueCore, now: number, connection: Peer, id: RequestId, query: ListQuery, maxFrameBytes: number): void {
  const head = `{"id":${JSON.stringify(id)},"type":"jobs","jobs":[`;
  const frameRoom = maxFrameBytes - Buffer.byteLength(head) - PAGE_TAIL_BYTES;
  const outputRoom = connection.outputRoomBytes - Buffer.byteLength(head) - PAGE_TAIL_BYTES;
  const parts: string[] = [];
  let bytes = 0;
  let overflow = false;
  const page = core.list(now, query, (view: JobView) => {
    const part = JSON.stringify(view);
    const partBytes = Buffer.byteLength(part) + 1;
    // A first view always joins: the submit-time check keeps every job within a frame.
    if (parts.length > 0 && bytes + partBytes > frameRoom) return false;
    if (bytes + partBytes > outputRoom) {
      overflow = true;
      return false;
    }
    parts.push(part);
    bytes += partBytes;
    return true;
  });
  if (!page.ok) return connection.refuse(id, page.code, page.message);
  if (overflow) {
    connection.overflow(bytes);
    return;
  }
  const tail = page.value.next === undefined ? "]}\n" : `],"next":${page.value.next}}\n`;
  connection.sendFrame(`${head}${parts.join(",")}${tail}`);
}
