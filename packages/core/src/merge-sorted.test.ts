// The lazy merge behind the pending listing: one sorted walk over many sorted lines.
import { describe, expect, it } from "vitest";
import { mergeSorted } from "./merge-sorted.js";

describe("mergeSorted", () => {
  it("yields the items of many sorted sequences in one sorted order, each once", () => {
    const sources = Array.from({ length: 50 }, (_, s) => Array.from({ length: 20 }, (_, i) => i * 50 + ((s * 7) % 50)));
    const merged = [...mergeSorted<number>(sources, (n) => n)];
    expect(merged).toEqual(sources.flat().sort((a, b) => a - b));
  });

  it("takes from the sources only as far as it is read", () => {
    let taken = 0;
    function* counted(values: number[]): Generator<number> {
      for (const v of values) {
        taken += 1;
        yield v;
      }
    }
    const merged = mergeSorted<number>([counted([1, 4, 7]), counted([2, 5, 8]), counted([3, 6, 9])], (n) => n);
    expect([merged.next().value, merged.next().value]).toEqual([1, 2]);
    expect(taken).toBe(4); // each source's head, and the one after the first item
  });
});
