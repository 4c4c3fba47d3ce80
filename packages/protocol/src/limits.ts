// Hard ceilings that belong to the wire format itself: a value outside them is a malformed
// message, whatever the queue's own (smaller, configurable) limits say.

export const PROTOCOL_VERSION = 1;

export const MAX_DURATION_MS = 7 * 24 * 3600_000;
export const MAX_DELAY_MS = 365 * 24 * 3600_000;
export const MAX_TIMEOUT_MS = 7 * 24 * 3600_000;
export const MAX_ATTEMPTS = 100;
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 9;
export const DEFAULT_PRIORITY = 5;
export const MAX_JOBS_PER_MESSAGE = 10_000;
/** Leases a worker may list as still held when it says hello again. */
export const MAX_HELD_LEASES = 10_000;
/** Characters in a worker id and in a submission key. */
export const MAX_ID_CHARS = 128;
/** Characters in a failed attempt's error. */
export const MAX_ERROR_CHARS = 4096;
export const MAX_QUEUES_PER_WORKER = 32;
export const MAX_FETCH = 1_000;
/** Job types one fetch may ask the queue to pass over: 64 names of at most 64 characters. */
export const MAX_SKIP_TYPES = 64;
export const MAX_LIST_LIMIT = 500;
/** Arrays and objects nested inside one another, counting the message itself. Deeper JSON would
 * overflow the stack when a payload is encoded again (JSON.stringify recurses). */
export const MAX_JSON_DEPTH = 64;
export const DEFAULT_FRAME_BYTES = 1024 * 1024;
export const DEFAULT_QUEUE_NAME = "default";
export const DEFAULT_JOB_TYPE = "sleep";
