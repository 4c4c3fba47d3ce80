// Shared-secret comparison in constant time. Both sides are hashed first so that neither the
// length nor the content of the expected secret leaks through timing.
import { createHash, timingSafeEqual } from "node:crypto";

export function secretMatches(given: string | undefined, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given ?? ""), digest(expected)) && given !== undefined;
}
