// The correlation id a request carries and its reply echoes, so requests can be pipelined.
import { z } from "zod";

export const MAX_REQUEST_ID_CHARS = 64;

export const RequestId = z.union([
  z.number().int().min(0),
  z.string().min(1).max(MAX_REQUEST_ID_CHARS),
]);
export type RequestId = z.infer<typeof RequestId>;
