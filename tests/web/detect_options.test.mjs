// Unit tests for the detection-options form rules: node --test tests/web/
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { detectOptions, parseKeywords, parseTime, toQuery } from "../../clipforge/web/static/detect_options.js";

describe("detect options", () => {
  it("parses times in seconds or clock form", () => {
    assert.equal(parseTime(""), null);
    assert.equal(parseTime("90"), 90);
    assert.equal(parseTime("1:30"), 90);
    assert.equal(parseTime("1:02:03"), 3723);
    assert.ok(Number.isNaN(parseTime("soon")));
    assert.ok(Number.isNaN(parseTime("-5")));
  });

  it("splits and deduplicates keywords", () => {
    assert.deepEqual(parseKeywords(" money, Sleep habits;money\nAI ,, "), ["money", "Sleep habits", "AI"]);
    assert.deepEqual(parseKeywords(""), []);
  });

  it("keeps only what was given", () => {
    assert.deepEqual(detectOptions({}), { ok: true, options: {} });
    const r = detectOptions({ count: "3", minSeconds: "20", maxSeconds: "45", keywords: "ai", from: "1:00", to: "10:00" });
    assert.deepEqual(r, {
      ok: true,
      options: { count: 3, min_seconds: 20, max_seconds: 45, keywords: ["ai"], search_start: 60, search_end: 600 },
    });
  });

  it("refuses impossible requests with a reason", () => {
    for (const fields of [
      { count: "0" },
      { count: "2.5" },
      { count: "51" },
      { minSeconds: "2" },
      { minSeconds: "50", maxSeconds: "20" },
      { from: "5:00", to: "1:00" },
      { from: "later" },
      { keywords: Array.from({ length: 21 }, (_, i) => `k${i}`).join(",") },
    ]) {
      const r = detectOptions(fields);
      assert.equal(r.ok, false, JSON.stringify(fields));
      assert.ok(r.reason.length > 10);
    }
  });

  it("builds the upload query string", () => {
    assert.equal(toQuery({}), "");
    assert.equal(toQuery({ count: 3, keywords: ["a b", "c"] }), "?count=3&keywords=a+b&keywords=c");
  });
});
