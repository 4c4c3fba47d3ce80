// How the core answers an event it may refuse: a value, never a throw. A throw means a broken
// invariant, which is a bug.
import type { ErrorCode } from "@djq/protocol";

export type Refused = { ok: false; code: ErrorCode; message: string };
export type Result<T> = { ok: true; value: T } | Refused;

export const refused = (code: ErrorCode, message: string): Refused => ({ ok: false, code, message });
export const done = <T>(value: T): Result<T> => ({ ok: true, value });
