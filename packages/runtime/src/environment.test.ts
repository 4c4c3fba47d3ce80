import { describe, expect, it } from "vitest";
import { flagOrEnvironment } from "./environment.js";

describe("flagOrEnvironment", () => {
  it("takes the flag over the setting's variable", () => {
    expect(flagOrEnvironment("7071", "port", { DJQ_PORT: "7072" })).toBe("7071");
  });

  it("falls back to the setting's variable when no flag is given", () => {
    expect(flagOrEnvironment(undefined, "workerSecret", { DJQ_WORKER_SECRET: "s", DJQ_CLIENT_SECRET: "c" })).toBe("s");
  });

  it("treats an empty variable as unset", () => {
    expect(flagOrEnvironment(undefined, "tlsCa", { DJQ_TLS_CA: "" })).toBeUndefined();
  });
});
