// Polling rules for long jobs: backoff while nothing changes, reset on change, give up
// politely after a deadline. Pure ES module: no DOM, clock and sleep are injectable.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export const DEFAULTS = Object.freeze({
  initialMs: 1 * SECOND, // first wait, and the wait after anything changed
  maxMs: 5 * SECOND, // never wait longer than this between two looks
  factor: 1.5, // growth per unchanged look
  timeoutMs: 20 * MINUTE, // how long to follow one job before asking the person
});

const VIDEO_TERMINAL = new Set(["ready", "failed"]);
const EXPORT_TERMINAL = new Set(["ready", "failed"]);

function opts(options) {
  const o = { ...DEFAULTS, ...(options || {}) };
  if (!(o.initialMs > 0)) throw new RangeError("initialMs must be positive");
  if (!(o.maxMs >= o.initialMs)) throw new RangeError("maxMs must be >= initialMs");
  if (!(o.factor >= 1)) throw new RangeError("factor must be >= 1");
  return o;
}

/** The wait before the next look: back to `initialMs` on change, else grow up to `maxMs`. */
export function nextDelay(previousMs, changed, options) {
  const o = opts(options);
  if (changed || previousMs == null || !(previousMs > 0)) return o.initialMs;
  return Math.min(o.maxMs, Math.max(o.initialMs, Math.round(previousMs * o.factor)));
}

/** True once `timeoutMs` have passed since `startedAt` (both in ms). */
export function hasTimedOut(startedAt, now, options) {
  const o = opts(options);
  return now - startedAt >= o.timeoutMs;
}

/** What counts as "changed" for a video: status, stage and any progress number. */
export function videoSignature(video) {
  if (!video) return "";
  const stages = (video.stages || []).map((s) => [s.name, s.state, s.progress]);
  return JSON.stringify([
    video.status,
    video.stage,
    video.progress,
    video.stage_progress,
    stages,
    video.error,
  ]);
}

export function exportSignature(exp) {
  if (!exp) return "";
  return JSON.stringify([exp.status, exp.progress, exp.error]);
}

export function isVideoTerminal(video) {
  return Boolean(video) && VIDEO_TERMINAL.has(video.status);
}

export function isExportTerminal(exp) {
  return Boolean(exp) && EXPORT_TERMINAL.has(exp.status);
}

/** HTTP statuses after which looking again cannot help (the job is gone or the request wrong). */
export function isFatalStatus(status) {
  return status === 400 || status === 401 || status === 403 || status === 404 || status === 410;
}

/**
 * A backoff tracker: feed it each observation's signature; it says how long to wait next.
 * Errors count as "nothing changed", so a flaky network backs off too.
 */
export function createBackoff(options) {
  const o = opts(options);
  let delay = null;
  let last;
  let seen = false;
  return {
    get delay() {
      return delay ?? o.initialMs;
    },
    observe(signature) {
      const changed = !seen || signature !== last;
      seen = true;
      last = signature;
      delay = nextDelay(delay, changed, o);
      return delay;
    },
    failed() {
      delay = nextDelay(delay, false, o);
      return delay;
    },
    reset() {
      delay = null;
      seen = false;
      last = undefined;
    },
  };
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal && signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", done);
      resolve();
    }
    if (signal) signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Follow a job until it is done, the deadline passes, a fatal error happens or `signal` aborts.
 *
 *   fetchOnce(): Promise<value>   one look; throw an error with `.fatal = true` to stop
 *   isDone(value)                 terminal state reached
 *   signature(value)              what counts as a change (default JSON.stringify)
 *   onUpdate(value), onError(err) callbacks; onError gets each non-fatal failure
 *
 * Resolves to {outcome: "done" | "timeout" | "fatal" | "aborted", value, error, looks}.
 */
export async function poll({
  fetchOnce,
  isDone,
  signature = (v) => JSON.stringify(v),
  onUpdate = () => {},
  onError = () => {},
  now = () => Date.now(),
  wait = sleep,
  signal,
  ...options
}) {
  const o = opts(options);
  const backoff = createBackoff(o);
  const startedAt = now();
  let value;
  let looks = 0;
  for (;;) {
    if (signal && signal.aborted) return { outcome: "aborted", value, looks };
    let delay;
    try {
      looks += 1;
      value = await fetchOnce();
      if (signal && signal.aborted) return { outcome: "aborted", value, looks };
      onUpdate(value);
      if (isDone(value)) return { outcome: "done", value, looks };
      delay = backoff.observe(signature(value));
    } catch (error) {
      if (signal && signal.aborted) return { outcome: "aborted", value, looks };
      if (error && error.fatal) return { outcome: "fatal", value, error, looks };
      onError(error);
      delay = backoff.failed();
    }
    const elapsed = now() - startedAt;
    if (elapsed >= o.timeoutMs) return { outcome: "timeout", value, looks };
    // Never sleep past the deadline: the last look happens right at it.
    await wait(Math.min(delay, o.timeoutMs - elapsed), signal);
  }
}
