import { describe, expect, it } from "vitest";
import { errorCodes } from "./error-codes.js";
import { MAX_REQUEST_ID_CHARS } from "./request-id.js";
import { maxReportsPerMessage } from "./report-batch-limit.js";

const longestCode = [...errorCodes].sort((a, b) => b.length - a.length)[0];

describe("maxReportsPerMessage", () => {
  it("lets an ack refusing every item of the largest batch, code only and at their longest, fit the frame", () => {
    for (const maxFrameBytes of [1_000, 4_096, 65_536, 1_048_576]) {
      const count = maxReportsPerMessage(maxFrameBytes);
      const refused = Array.from({ length: count }, () => ({ jobId: 1.2345678901234567e+300, code: longestCode, message: "" }));
      const ack = { id: "\u0001".repeat(MAX_REQUEST_ID_CHARS), type: "ack", refused };
      expect(Buffer.byteLength(JSON.stringify(ack)) + 1).toBeLessThanOrEqual(maxFrameBytes);
    }
  });

  it("allows at least one report at the smallest frame and no more than a message may name at the default", () => {
    expect(maxReportsPerMessage(64)).toBe(1);
    expect(maxReportsPerMessage(1_048_576)).toBe(10_000);
  });
});
