import { describe, expect, it } from "vitest";
import { BeanstalkReplies, jobsInTube, putCommand, replyNumber, type BeanstalkReply } from "./beanstalk-replies.js";

const transcript = "INSERTED 1\r\nRESERVED 1 16\r\n{\"durationMs\":0}\r\nDELETED\r\nOK 11\r\n---\r\na: 1\r\n\r\nRESERVED 2 4\r\n\r\n\r\n\r\nUSING user\r\n";
const expected: BeanstalkReply[] = [
  { line: "INSERTED 1" },
  { line: "RESERVED 1 16", body: '{"durationMs":0}' },
  { line: "DELETED" },
  { line: "OK 11", body: "---\r\na: 1\r\n" },
  { line: "RESERVED 2 4", body: "\r\n\r\n" },
  { line: "USING user" },
];

function read(chunks: Buffer[]): BeanstalkReply[] {
  const replies = new BeanstalkReplies();
  const seen: BeanstalkReply[] = [];
  for (const chunk of chunks) replies.push(chunk, (reply) => seen.push(reply));
  return seen;
}

describe("beanstalkd's replies", () => {
  it("reads lines and the bodies of RESERVED and OK, with CRLF inside a body taken as body", () => {
    expect(read([Buffer.from(transcript)])).toEqual(expected);
  });

  it("reads the same replies however the stream is split", () => {
    const bytes = Buffer.from(transcript);
    for (let at = 0; at <= bytes.length; at += 1) {
      expect(read([bytes.subarray(0, at), bytes.subarray(at)])).toEqual(expected);
    }
    expect(read([...bytes].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it("counts a body in bytes, not characters", () => {
    const body = "é€";
    expect(read([Buffer.from(`RESERVED 3 ${Buffer.byteLength(body)}\r\n${body}\r\n`)])).toEqual([{ line: "RESERVED 3 5", body }]);
    expect(putCommand(body)).toBe("put 0 0 60 5\r\né€\r\n");
  });

  it("reads the number after a reply's word", () => {
    expect(replyNumber("INSERTED 42")).toBe(42);
    expect(replyNumber("RESERVED 7 16")).toBe(7);
    expect(replyNumber("DELETED")).toBeNaN();
  });

  it("counts the jobs a tube still holds from stats-tube, and refuses a body without them", () => {
    const stats = "---\nname: default\ncurrent-jobs-urgent: 2\ncurrent-jobs-ready: 2\ncurrent-jobs-reserved: 1\ncurrent-jobs-delayed: 3\ncurrent-jobs-buried: 0\n";
    expect(jobsInTube(stats)).toBe(6);
    expect(() => jobsInTube("---\nname: default\n")).toThrow(/current-jobs-ready/);
  });
});
