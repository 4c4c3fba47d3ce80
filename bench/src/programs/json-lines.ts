// How the floor's programs read: split on newlines and parse, with none of djq's framing checks
// (a frame size bound, UTF-8 validation), which the calibration leaves out on purpose.
import type net from "node:net";

/** Calls `handle` for each JSON line the socket receives, then `chunkDone` after each chunk. */
export function onJsonLines<T>(socket: net.Socket, handle: (message: T) => void, chunkDone?: () => void): void {
  socket.setEncoding("utf8");
  let unread = "";
  socket.on("data", (text: string) => {
    unread += text;
    for (let end = unread.indexOf("\n"); end >= 0; end = unread.indexOf("\n")) {
      const message = JSON.parse(unread.slice(0, end)) as T;
      unread = unread.slice(end + 1);
      handle(message);
    }
    chunkDone?.();
  });
}
