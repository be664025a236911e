import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../worker/config";

describe("parseConfig", () => {
  it("uses the documented defaults", () => {
    const config = parseConfig({});
    expect(config.globalLimit).toBe(30);
    expect(config.globalWindowSeconds).toBe(60);
    expect(config.sessionLimit).toBe(5);
    expect(config.sessionWindowSeconds).toBe(60);
    expect(config.failMode).toBe("closed");
    expect(config.coordinatorTimeoutMs).toBe(500);
  });

  it("reads overrides", () => {
    const config = parseConfig({
      GLOBAL_LIMIT: "100",
      SESSION_WINDOW_SECONDS: " 3 ",
      FAIL_MODE: "open",
    });
    expect(config.globalLimit).toBe(100);
    expect(config.sessionWindowSeconds).toBe(3);
    expect(config.failMode).toBe("open");
  });

  it.each([
    ["GLOBAL_LIMIT", "0"],
    ["GLOBAL_LIMIT", "-1"],
    ["GLOBAL_LIMIT", "1.5"],
    ["SESSION_LIMIT", "five"],
    ["SESSION_WINDOW_SECONDS", "1e3"],
    ["GLOBAL_WINDOW_SECONDS", "999999999"],
    ["FAIL_MODE", "sometimes"],
    ["BACKEND_NAME", "bad name"],
  ])("rejects %s=%s naming the setting", (key, value) => {
    expect(() => parseConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [key]: value })).toThrow(key);
  });
});
