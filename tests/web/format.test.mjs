// Unit tests for the dashboard's formatting helpers: node --test tests/web/
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  capitalise,
  clampPercent,
  failedStageInWords,
  formatBytes,
  formatDuration,
  formatRelative,
  formatTimecode,
  pageInfo,
  statusLabel,
  uploadErrorMessage,
  videoName,
} from "../../clipforge/web/static/format.js";

describe("format", () => {
  it("durations and time codes", () => {
    assert.equal(formatDuration(0), "0:00");
    assert.equal(formatDuration(75.4), "1:15");
    assert.equal(formatDuration(3725), "1:02:05");
    assert.equal(formatDuration(null), "—");
    assert.equal(formatTimecode(12.34), "0:12.3");
    assert.equal(formatTimecode(59.96), "1:00.0");
  });
  it("bytes", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(2 * 1024 ** 3), "2 GB");
    assert.equal(formatBytes(1536), "1.5 KB");
  });
  it("relative times", () => {
    const now = Date.parse("2024-05-01T12:00:00Z");
    assert.equal(formatRelative("2024-05-01T11:59:50Z", now), "just now");
    assert.equal(formatRelative("2024-05-01T11:55:00Z", now), "5 min ago");
    assert.equal(formatRelative("2024-05-01T09:00:00Z", now), "3 h ago");
    assert.equal(formatRelative("2024-04-30T12:00:00Z", now), "1 day ago");
    assert.equal(formatRelative("2024-01-01T00:00:00Z", now), "2024-01-01");
    assert.equal(formatRelative("nonsense", now), "—");
  });
  it("labels and words", () => {
    assert.equal(statusLabel("detecting"), "Finding clips");
    assert.equal(failedStageInWords("transcribe"), "Failed while transcribing the speech");
    assert.equal(failedStageInWords(null), "Processing failed");
    assert.equal(capitalise("hook_strength"), "Hook strength");
    assert.equal(clampPercent(140), 100);
    assert.equal(clampPercent("x"), 0);
  });
  it("video names", () => {
    assert.equal(videoName({ title: "Talk", source: "x" }), "Talk");
    assert.equal(videoName({ title: null, source: "https://e.com/a/My%20talk.mp4" }), "My talk.mp4");
    assert.equal(videoName({ title: null, source: "", id: "v1" }), "v1");
  });
  it("pages", () => {
    assert.deepEqual(pageInfo(45, 20, 20), { page: 2, pages: 3, from: 21, to: 40 });
    assert.deepEqual(pageInfo(0, 20, 0), { page: 1, pages: 1, from: 0, to: 0 });
  });
  it("upload errors say plainly what happened", () => {
    assert.match(uploadErrorMessage(413, null, 2 * 1024 ** 3), /too large.*2 GB/);
    assert.match(uploadErrorMessage(0, null), /interrupted/);
    assert.equal(
      uploadErrorMessage(400, { error: { code: "bad_upload", message: "No file field." } }),
      "No file field.",
    );
    assert.match(uploadErrorMessage(500, null), /could not accept/);
  });
});
