// The id-indexed table behind the job table and the queue's watcher list.
import { describe, expect, it } from "vitest";
import { IdTable } from "./id-table.js";

describe("IdTable", () => {
  it("finds what was set, counts each id once, and forgets what was deleted", () => {
    const table = new IdTable<string>();
    table.set(1, "a");
    table.set(1, "b");
    table.set(5000, "c");
    expect(table.size).toBe(2);
    expect(table.get(1)).toBe("b");
    expect(table.get(5000)).toBe("c");
    table.delete(1);
    table.delete(1);
    expect(table.size).toBe(1);
    expect(table.get(1)).toBeUndefined();
    expect([...table.values()]).toEqual(["c"]);
  });

  it("answers nothing for ids no job could have", () => {
    const table = new IdTable<string>();
    table.set(0, "zero");
    for (const id of [-1, 0.5, Number.NaN, Number.MAX_SAFE_INTEGER]) expect(table.get(id)).toBeUndefined();
    table.delete(-1);
    expect(table.size).toBe(1);
    for (const id of [-1, 0.5, Number.NaN, 2 ** 53]) expect(() => table.set(id, "bad")).toThrow(RangeError);
  });

  it("gives a page back once every slot in it is empty, and can fill it again", () => {
    const table = new IdTable<number>();
    for (let id = 0; id < 4096; id++) table.set(id, id);
    for (let id = 0; id < 4096; id++) table.delete(id);
    expect(table.size).toBe(0);
    expect([...table.values()]).toEqual([]);
    table.set(7, 7);
    expect(table.get(7)).toBe(7);
  });

  it("starts a page that reuses an emptied one with nothing in it", () => {
    const table = new IdTable<number>();
    for (const id of [1, 2, 4095]) table.set(id, id);
    for (const id of [1, 2, 4095]) table.delete(id);
    table.set(3 * 4096 + 1, 9);
    expect([...table.values()]).toEqual([9]);
    for (const id of [3 * 4096, 3 * 4096 + 2, 3 * 4096 + 4095, 1, 2, 4095]) expect(table.get(id)).toBeUndefined();
    table.delete(3 * 4096 + 1);
    for (let id = 1; id <= 3; id++) table.set(id * 4096, id);
    expect([...table.values()]).toEqual([1, 2, 3]);
    expect(table.size).toBe(3);
  });
});
