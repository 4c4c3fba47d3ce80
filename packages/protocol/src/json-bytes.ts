// The UTF-8 size of a value's JSON text, which the queue measures for every payload and result it
// keeps and a worker for every result it sends. For the common values (a number, plain ASCII text,
// a flat object of those) the size is counted without building the text; anything else is encoded.
import { Buffer } from "node:buffer";

/** Printable ASCII other than `"` and `\`: JSON writes such a string as it is, between quotes. */
const plainText = /^[ !#-[\]-~]*$/;

/**
 * The length of the JSON of a value that JSON carries as itself (parsing its text gives the same
 * value back): null, a boolean, a finite number other than -0, plain text. 0 for any other value.
 */
export function scalarJsonBytes(value: unknown): number {
  switch (typeof value) {
    case "string":
      return plainText.test(value) ? value.length + 2 : 0;
    case "boolean":
      return value ? 4 : 5;
    case "number":
      // JSON turns NaN and ±Infinity into null and -0 into 0: those are left to JSON itself.
      if (!Number.isFinite(value) || (value === 0 && 1 / value < 0)) return 0;
      return Number.isSafeInteger(value) ? integerChars(value) : String(value).length;
    case "object":
      return value === null ? 4 : 0;
    default:
      return 0;
  }
}

/** Bytes of `JSON.stringify(value)` in UTF-8; 0 when it has no JSON text (undefined, a function). */
export function jsonBytes(value: unknown): number {
  const scalar = scalarJsonBytes(value);
  if (scalar > 0) return scalar;
  const flat = flatRecordJsonBytes(value);
  if (flat > 0) return flat;
  return Buffer.byteLength(JSON.stringify(value) ?? "");
}

/**
 * The JSON length of a plain object whose keys are plain text and whose values JSON carries as
 * themselves; 0 for any other value. Each field counted goes into `copy` when one is given, so a
 * caller gets what parsing the JSON would give without encoding it (an own `__proto__` key, which
 * an assignment would not copy as a field, is left to JSON).
 */
export function flatRecordJsonBytes(value: unknown, copy?: Record<string, unknown>): number {
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype || "toJSON" in value) return 0;
  let bytes = 1; // "{", and "," or "}" after each field below
  let fields = 0;
  for (const key in value) {
    if (key === "__proto__" || !Object.hasOwn(value, key) || !plainText.test(key)) return 0;
    const field = (value as Record<string, unknown>)[key];
    const valueBytes = scalarJsonBytes(field);
    if (valueBytes === 0) return 0;
    if (copy !== undefined) copy[key] = field;
    bytes += key.length + 3 + valueBytes + 1;
    fields += 1;
  }
  return fields === 0 ? 2 : bytes;
}

function integerChars(value: number): number {
  let chars = value < 0 ? 2 : 1;
  for (let rest = Math.abs(value); rest >= 10; rest = Math.floor(rest / 10)) chars += 1;
  return chars;
}
