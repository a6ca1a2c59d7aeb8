// Unit tests for the transcript logic (active word, trimming by one word): node --test tests/web/
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  activeWordIndex,
  canTrim,
  clipWordRange,
  flattenWords,
  previewShouldStop,
  throttleGate,
  trimRequest,
} from "../../clipforge/web/static/transcript.js";

const TRANSCRIPT = {
  segments: [
    {
      text: "Here is something",
      start: 0.5,
      end: 2.0,
      words: [
        { text: " Here", start: 0.5, end: 0.8, probability: 0.9 },
        { text: " is", start: 0.8, end: 1.0, probability: 0.9 },
        { text: " something", start: 1.1, end: 2.0, probability: 0.9 },
      ],
    },
    {
      text: "most people get wrong.",
      start: 3.0,
      end: 5.0,
      words: [
        { text: " most", start: 3.0, end: 3.3, probability: 0.9 },
        { text: " people", start: 3.3, end: 3.8, probability: 0.9 },
        { text: " get", start: 3.9, end: 4.2, probability: 0.9 },
        { text: " wrong.", start: 4.2, end: 5.0, probability: 0.9 },
      ],
    },
  ],
};

const WORDS = flattenWords(TRANSCRIPT);

// A port of clipforge/domain/trim.py snap_to_words, to check that what the page sends selects
// exactly the words it means to (the server is the authority; this keeps the two in step).
function serverSnap(words, start, end, pad = 0.15) {
  if (end <= start) throw new Error("end before start");
  const inside = words.filter((w) => w.start >= start - 1e-6 && w.start < end);
  if (!inside.length) throw new Error("no words");
  const first = inside[0];
  const last = inside[inside.length - 1];
  const before = words.filter((w) => w.end <= first.start);
  const after = words.filter((w) => w.start >= last.end);
  const low = Math.max(before.length ? before[before.length - 1].end : 0, first.start - pad, 0);
  const high = Math.min(after.length ? after[0].start : last.end + pad, last.end + pad);
  return { start: Math.round(low * 1000) / 1000, end: Math.round(high * 1000) / 1000, words: inside.map((w) => w.text) };
}

describe("flattenWords", () => {
  it("flattens segments in time order, trims text and remembers the segment", () => {
    assert.equal(WORDS.length, 7);
    assert.deepEqual(WORDS.map((w) => w.text), ["Here", "is", "something", "most", "people", "get", "wrong."]);
    assert.equal(WORDS[3].segment, 1);
    assert.deepEqual(WORDS.map((w) => w.index), [0, 1, 2, 3, 4, 5, 6]);
  });

  it("copes with missing or malformed input", () => {
    assert.deepEqual(flattenWords(null), []);
    assert.deepEqual(flattenWords({ segments: [{ words: null }, {}] }), []);
    const odd = flattenWords({ segments: [{ words: [{ text: "a", start: "x", end: 1 }, { text: "b", start: 2, end: 1 }] }] });
    assert.equal(odd.length, 1);
    assert.equal(odd[0].end, 2); // an end before the start is clamped to the start
  });
});

describe("activeWordIndex", () => {
  it("finds the word being spoken", () => {
    assert.equal(activeWordIndex(WORDS, 0.6), 0);
    assert.equal(activeWordIndex(WORDS, 0.8), 1); // a boundary belongs to the next word
    assert.equal(activeWordIndex(WORDS, 1.5), 2);
    assert.equal(activeWordIndex(WORDS, 4.99), 6);
  });

  it("holds a word briefly into a pause, then lets go", () => {
    assert.equal(activeWordIndex(WORDS, 1.05), 1); // 0.05 s gap before "something"
    assert.equal(activeWordIndex(WORDS, 2.2), 2);
    assert.equal(activeWordIndex(WORDS, 2.6), -1); // long pause
    assert.equal(activeWordIndex(WORDS, 2.6, { hold: 1 }), 2);
  });

  it("answers -1 before the first word, after the last and for bad input", () => {
    assert.equal(activeWordIndex(WORDS, 0.1), -1);
    assert.equal(activeWordIndex(WORDS, 9), -1);
    assert.equal(activeWordIndex([], 1), -1);
    assert.equal(activeWordIndex(WORDS, Number.NaN), -1);
  });

  it("agrees with a linear scan on many times", () => {
    for (let t = 0; t < 6; t += 0.01) {
      const expected = WORDS.findIndex((w, i) => {
        const next = WORDS[i + 1];
        return w.start <= t + 1e-6 && (!next || next.start > t + 1e-6) && t < Math.max(Math.min(w.end + 0.25, next ? next.start : Infinity), w.end);
      });
      assert.equal(activeWordIndex(WORDS, t), expected, `t=${t}`);
    }
  });
});

describe("clipWordRange", () => {
  it("covers the words that start inside the clip, like the server", () => {
    assert.deepEqual(clipWordRange(WORDS, { start: 0.95, end: 4.15 }), { first: 2, last: 5 });
    assert.deepEqual(clipWordRange(WORDS, { start: 0.35, end: 5.15 }), { first: 0, last: 6 });
    assert.equal(clipWordRange(WORDS, { start: 2.1, end: 2.9 }), null);
  });
});

describe("trimRequest", () => {
  const clip = serverSnap(WORDS, 1.1, 3.85); // "something most people"
  it("starts from a clip the server snapped", () => {
    assert.deepEqual(clip.words, ["something", "most", "people"]);
    assert.deepEqual(clipWordRange(WORDS, clip), { first: 2, last: 4 });
  });

  const cases = [
    ["start", -1, ["is", "something", "most", "people"]],
    ["start", +1, ["most", "people"]],
    ["end", -1, ["something", "most"]],
    ["end", +1, ["something", "most", "people", "get"]],
  ];
  for (const [edge, step, expected] of cases) {
    it(`moves the ${edge} by ${step} word and the server keeps exactly those words`, () => {
      const req = trimRequest(WORDS, clip, edge, step);
      assert.equal(req.ok, true, req.reason);
      const snapped = serverSnap(WORDS, req.start, req.end);
      assert.deepEqual(snapped.words, expected);
      // and trimming again from the snapped clip keeps working (no drift)
      assert.deepEqual(clipWordRange(WORDS, snapped), { first: req.first, last: req.last });
    });
  }

  it("handles overlapping word times on the end edge", () => {
    const words = flattenWords({ segments: [{ words: [
      { text: "a", start: 0, end: 0.6 }, { text: "b", start: 0.5, end: 1.2 }, { text: "c", start: 1.1, end: 2 },
    ] }] });
    const req = trimRequest(words, { start: 0, end: 0.45 }, "end", +1);
    assert.equal(req.ok, true);
    assert.deepEqual(words.filter((w) => w.start >= req.start && w.start < req.end).map((w) => w.text), ["a", "b"]);
  });

  it("refuses moves past the transcript or that would empty the clip", () => {
    const whole = serverSnap(WORDS, 0, 10);
    assert.equal(trimRequest(WORDS, whole, "start", -1).ok, false);
    assert.match(trimRequest(WORDS, whole, "start", -1).reason, /first word/);
    assert.match(trimRequest(WORDS, whole, "end", +1).reason, /last word/);
    const one = { start: 3.25, end: 3.75 }; // just "people"
    assert.match(trimRequest(WORDS, one, "start", +1).reason, /only word/);
    assert.match(trimRequest(WORDS, one, "end", -1).reason, /only word/);
    assert.equal(canTrim(WORDS, one, "end", +1), true);
    assert.equal(trimRequest(WORDS, one, "middle", 1).ok, false);
    assert.equal(trimRequest([], one, "start", 1).ok, false);
  });
});

describe("throttleGate and previewShouldStop", () => {
  it("lets one call through per interval", () => {
    const gate = throttleGate(100);
    assert.deepEqual([0, 50, 99, 100, 150, 250].map((t) => gate(t)), [true, false, false, true, false, true]);
  });

  it("stops a preview at its end", () => {
    assert.equal(previewShouldStop({ start: 1, end: 5 }, 4.5), false);
    assert.equal(previewShouldStop({ start: 1, end: 5 }, 4.99), true);
    assert.equal(previewShouldStop({ start: 1, end: 5 }, 6), true);
    assert.equal(previewShouldStop(null, 6), false);
  });
});
