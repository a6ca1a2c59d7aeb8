// Unit tests for the dashboard's polling rules: node --test tests/web/
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  DEFAULTS,
  MINUTE,
  createBackoff,
  exportSignature,
  hasTimedOut,
  isExportTerminal,
  isFatalStatus,
  isVideoTerminal,
  nextDelay,
  poll,
  sleep,
  videoSignature,
} from "../../clipforge/web/static/polling.js";

/** A fake clock whose wait() advances time instead of sleeping. */
function fakeClock() {
  const clock = { t: 0, waits: [] };
  clock.now = () => clock.t;
  clock.wait = async (ms) => {
    clock.waits.push(ms);
    clock.t += ms;
  };
  return clock;
}

const video = (status, progress, extra = {}) => ({
  id: "v1",
  status,
  stage: null,
  progress,
  stage_progress: progress,
  stages: [],
  error: null,
  ...extra,
});

describe("defaults", () => {
  it("starts at ~1 s, caps at ~5 s and follows a job for 20 minutes, not 4", () => {
    assert.equal(DEFAULTS.initialMs, 1000);
    assert.equal(DEFAULTS.maxMs, 5000);
    assert.equal(DEFAULTS.timeoutMs, 20 * MINUTE);
    assert.ok(Object.isFrozen(DEFAULTS));
  });
});

describe("nextDelay", () => {
  it("starts at the initial delay", () => {
    assert.equal(nextDelay(null, false), 1000);
    assert.equal(nextDelay(undefined, true), 1000);
  });
  it("grows while nothing changes and never passes the maximum", () => {
    let d = nextDelay(null, false);
    const seen = [d];
    for (let i = 0; i < 10; i += 1) {
      d = nextDelay(d, false);
      seen.push(d);
    }
    for (let i = 1; i < seen.length; i += 1) assert.ok(seen[i] >= seen[i - 1]);
    assert.equal(seen.at(-1), 5000);
    assert.ok(seen.every((x) => x <= 5000));
  });
  it("resets to the initial delay when something changed", () => {
    assert.equal(nextDelay(5000, true), 1000);
  });
  it("honours custom options and rejects nonsense", () => {
    assert.equal(nextDelay(100, false, { initialMs: 100, maxMs: 150, factor: 2 }), 150);
    assert.throws(() => nextDelay(1, false, { initialMs: 0 }), RangeError);
    assert.throws(() => nextDelay(1, false, { initialMs: 10, maxMs: 5 }), RangeError);
    assert.throws(() => nextDelay(1, false, { factor: 0.5 }), RangeError);
  });
});

describe("hasTimedOut", () => {
  it("is false before 20 minutes and true from then on", () => {
    assert.equal(hasTimedOut(0, 4 * MINUTE), false);
    assert.equal(hasTimedOut(0, 20 * MINUTE - 1), false);
    assert.equal(hasTimedOut(0, 20 * MINUTE), true);
    assert.equal(hasTimedOut(1000, 1500, { timeoutMs: 500 }), true);
  });
});

describe("signatures and terminal states", () => {
  it("changes when status, stage or any progress changes", () => {
    const a = video("transcribing", 40);
    assert.equal(videoSignature(a), videoSignature({ ...a }));
    assert.notEqual(videoSignature(a), videoSignature({ ...a, progress: 41 }));
    assert.notEqual(videoSignature(a), videoSignature({ ...a, status: "detecting" }));
    const withStages = { ...a, stages: [{ name: "import", state: "done", progress: 100 }] };
    assert.notEqual(
      videoSignature(withStages),
      videoSignature({ ...a, stages: [{ name: "import", state: "running", progress: 100 }] }),
    );
    assert.equal(videoSignature(null), "");
    assert.notEqual(
      exportSignature({ status: "rendering", progress: 1 }),
      exportSignature({ status: "rendering", progress: 2 }),
    );
    assert.equal(exportSignature(undefined), "");
  });
  it("knows ready and failed are terminal", () => {
    for (const s of ["ready", "failed"]) {
      assert.ok(isVideoTerminal(video(s, 100)));
      assert.ok(isExportTerminal({ status: s }));
    }
    for (const s of ["queued", "importing", "transcribing", "detecting"]) {
      assert.equal(isVideoTerminal(video(s, 0)), false);
    }
    assert.equal(isExportTerminal({ status: "rendering" }), false);
    assert.equal(isVideoTerminal(null), false);
  });
  it("treats 404 and 400 as fatal, 5xx and network errors as transient", () => {
    assert.ok(isFatalStatus(404));
    assert.ok(isFatalStatus(400));
    assert.equal(isFatalStatus(500), false);
    assert.equal(isFatalStatus(503), false);
    assert.equal(isFatalStatus(0), false);
  });
});

describe("createBackoff", () => {
  it("backs off on repeats, resets on change, backs off on errors", () => {
    const b = createBackoff();
    assert.equal(b.delay, 1000);
    assert.equal(b.observe("a"), 1000); // first look is a change
    assert.equal(b.observe("a"), 1500);
    assert.equal(b.observe("a"), 2250);
    assert.equal(b.observe("b"), 1000);
    assert.equal(b.failed(), 1500);
    b.observe("b");
    b.observe("b");
    b.observe("b");
    b.observe("b");
    assert.equal(b.observe("b"), 5000);
    b.reset();
    assert.equal(b.delay, 1000);
    assert.equal(b.observe("b"), 1000);
  });
});

describe("poll", () => {
  it("stops when the job is done and reports every update", async () => {
    const clock = fakeClock();
    const answers = [video("queued", 0), video("importing", 10), video("ready", 100)];
    const updates = [];
    const result = await poll({
      fetchOnce: async () => answers.shift(),
      isDone: isVideoTerminal,
      signature: videoSignature,
      onUpdate: (v) => updates.push(v.status),
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(result.outcome, "done");
    assert.equal(result.value.status, "ready");
    assert.equal(result.looks, 3);
    assert.deepEqual(updates, ["queued", "importing", "ready"]);
    assert.deepEqual(clock.waits, [1000, 1000]); // both looks saw a change
  });

  it("backs off to 5 s while nothing changes and resets when progress moves", async () => {
    const clock = fakeClock();
    const seq = [0, 0, 0, 0, 0, 0, 0, 5, 5];
    let i = 0;
    const result = await poll({
      fetchOnce: async () => (i < seq.length ? video("transcribing", seq[i++]) : video("ready", 100)),
      isDone: isVideoTerminal,
      signature: videoSignature,
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(result.outcome, "done");
    assert.deepEqual(clock.waits, [1000, 1500, 2250, 3375, 5000, 5000, 5000, 1000, 1500]);
  });

  it("keeps going for 20 minutes, then times out instead of failing", async () => {
    const clock = fakeClock();
    const result = await poll({
      fetchOnce: async () => video("transcribing", 50),
      isDone: isVideoTerminal,
      signature: videoSignature,
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(result.outcome, "timeout");
    assert.equal(clock.t, 20 * MINUTE); // not 4 minutes, and never past the deadline
    assert.ok(clock.waits.every((w) => w <= 5000));
    assert.ok(result.looks > 200 && result.looks < 260, `looks=${result.looks}`);
    assert.equal(result.value.progress, 50);
  });

  it("a job that finishes at minute 15 is followed to the end", async () => {
    const clock = fakeClock();
    const result = await poll({
      fetchOnce: async () =>
        clock.t >= 15 * MINUTE ? video("ready", 100) : video("detecting", 90),
      isDone: isVideoTerminal,
      signature: videoSignature,
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(result.outcome, "done");
    assert.ok(clock.t >= 15 * MINUTE && clock.t < 15 * MINUTE + 5000);
  });

  it("rides out transient errors with backoff and reports them", async () => {
    const clock = fakeClock();
    const errors = [];
    let n = 0;
    const result = await poll({
      fetchOnce: async () => {
        n += 1;
        if (n <= 3) throw Object.assign(new Error("HTTP 503"), { status: 503 });
        return video("ready", 100);
      },
      isDone: isVideoTerminal,
      onError: (e) => errors.push(e.message),
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(result.outcome, "done");
    assert.equal(errors.length, 3);
    assert.deepEqual(clock.waits, [1000, 1500, 2250]);
  });

  it("stops at once on a fatal error (e.g. 404)", async () => {
    const clock = fakeClock();
    const result = await poll({
      fetchOnce: async () => {
        throw Object.assign(new Error("not found"), { status: 404, fatal: true });
      },
      isDone: isVideoTerminal,
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(result.outcome, "fatal");
    assert.equal(result.error.status, 404);
    assert.equal(clock.waits.length, 0);
  });

  it("can be aborted, and a fresh poll starts a fresh 20 minutes (keep waiting)", async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let looks = 0;
    const result = await poll({
      fetchOnce: async () => {
        looks += 1;
        if (looks === 3) controller.abort();
        return video("importing", looks);
      },
      isDone: isVideoTerminal,
      signature: videoSignature,
      signal: controller.signal,
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(result.outcome, "aborted");
    assert.equal(looks, 3);

    clock.t = 0;
    const first = await poll({
      fetchOnce: async () => video("importing", 1),
      isDone: isVideoTerminal,
      signature: videoSignature,
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(first.outcome, "timeout");
    const started = clock.t;
    const again = await poll({
      fetchOnce: async () =>
        clock.t - started >= 3 * MINUTE ? video("ready", 100) : video("importing", 1),
      isDone: isVideoTerminal,
      signature: videoSignature,
      now: clock.now,
      wait: clock.wait,
    });
    assert.equal(again.outcome, "done");
  });

  it("sleep resolves after the delay, or early when aborted", async () => {
    const t0 = Date.now();
    await sleep(20);
    assert.ok(Date.now() - t0 >= 15);
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await pending; // would hang the test for a minute if abort did not wake it
    await sleep(60_000, controller.signal); // already aborted: returns at once
  });
});
