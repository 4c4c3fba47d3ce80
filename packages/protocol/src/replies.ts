// Which reply answers which request: the typed half of the correlation-id contract.
import type { Request } from "./requests.js";
import type {
  Ack,
  Assign,
  HeartbeatReply,
  JobReply,
  JobsReply,
  Ok,
  StatsReply,
  Submitted,
  Welcome,
} from "./server-messages.js";

export interface ReplyByRequestType {
  hello: Welcome;
  heartbeat: HeartbeatReply;
  submit: Submitted;
  status: JobReply;
  watch: Ok;
  cancel: Ok;
  retry: Ok;
  list: JobsReply;
  stats: StatsReply;
  pause: Ok;
  resume: Ok;
  fetch: Assign;
  withdraw: Ok;
  complete: Ack;
  fail: Ack;
  release: Ack;
  extend: Ok;
  progress: Ok;
}

export type ReplyTo<T extends Request["type"]> = ReplyByRequestType[T];

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
/** A request before the connection numbers it. */
export type RequestBody = WithoutId<Request>;
