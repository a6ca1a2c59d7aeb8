// Word-level transcript logic for the video page. Pure: no DOM, no network.
//
// The server snaps a clip to the words that *start* inside [start, end) and pads each edge a
// little (never into a neighbouring word), so a clip's edges are not word edges themselves.
// Trimming therefore works on word indexes: find the clip's first and last word, move one of
// them by one word, and send times that select exactly the new words.

const EPS = 1e-6;

/**
 * Every word of a transcript JSON ({segments: [{words: [{text, start, end}]}]}) in time
 * order, as {text, start, end, segment, index}. Words without finite times are dropped.
 */
export function flattenWords(transcript) {
  const out = [];
  const segments = (transcript && Array.isArray(transcript.segments) && transcript.segments) || [];
  segments.forEach((segment, segmentIndex) => {
    for (const word of (segment && Array.isArray(segment.words) && segment.words) || []) {
      const start = Number(word && word.start);
      const end = Number(word && word.end);
      if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
      out.push({ text: String(word.text ?? "").trim(), start, end: Math.max(start, end), segment: segmentIndex });
    }
  });
  out.sort((a, b) => a.start - b.start || a.end - b.end);
  out.forEach((w, i) => { w.index = i; });
  return out;
}

/** Index of the last word starting at or before t (binary search), or -1. */
function lastStartingBy(words, t) {
  let lo = 0;
  let hi = words.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (words[mid].start <= t + EPS) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * The word being spoken at time t: the last word that has started by t and not yet ended
 * (a gap of up to `hold` seconds after a word still counts as that word, so the highlight
 * does not flicker between words). -1 before the first word, in long pauses and after the end.
 */
export function activeWordIndex(words, t, { hold = 0.25 } = {}) {
  if (!Array.isArray(words) || !words.length || !Number.isFinite(Number(t))) return -1;
  const i = lastStartingBy(words, Number(t));
  if (i < 0) return -1;
  const w = words[i];
  const next = words[i + 1];
  const until = Math.min(w.end + hold, next ? next.start : Infinity);
  return Number(t) < Math.max(until, w.end) ? i : -1;
}

/** The range of word indexes a clip covers, as the server sees it: {first, last} or null. */
export function clipWordRange(words, clip) {
  if (!Array.isArray(words) || !clip) return null;
  let first = -1;
  let last = -1;
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i];
    if (w.start >= clip.start - EPS && w.start < clip.end) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? null : { first, last };
}

/** An end time that includes words[last] and excludes the word after it. */
function endFor(words, last) {
  const w = words[last];
  const next = words[last + 1];
  let end = w.end;
  if (next && next.start < end) end = next.start;
  if (end <= w.start) end = w.start + 0.001;
  return Math.round(end * 1000) / 1000;
}

/**
 * The {start, end} to send to PATCH /v1/clips/{id} to move one edge by one word.
 * edge: "start" | "end"; step: -1 (earlier) or +1 (later).
 * Returns {ok: true, start, end, first, last} or {ok: false, reason} with a sentence a person
 * can act on (no word before/after, or the clip would lose its last word). Length limits
 * (e.g. at least a second) are the server's to enforce; it answers 400 with a message.
 */
export function trimRequest(words, clip, edge, step) {
  const range = clipWordRange(words, clip);
  if (!range) return { ok: false, reason: "The transcript has no words in this clip." };
  let { first, last } = range;
  if (edge === "start") first += step;
  else if (edge === "end") last += step;
  else return { ok: false, reason: `Unknown edge: ${edge}` };
  if (first < 0) return { ok: false, reason: "The clip already starts at the first word." };
  if (last >= words.length) return { ok: false, reason: "The clip already ends at the last word." };
  if (first > last) return { ok: false, reason: "The clip cannot lose its only word." };
  const start = Math.round(words[first].start * 1000) / 1000;
  return { ok: true, start, end: endFor(words, last), first, last };
}

/** Whether moving `edge` by `step` words is possible at all (for disabling buttons). */
export function canTrim(words, clip, edge, step) {
  return trimRequest(words, clip, edge, step).ok;
}

/**
 * A throttle for the player's highlight loop: returns a function that answers true at most
 * once every `ms` milliseconds of the clock it is given.
 */
export function throttleGate(ms) {
  let last = -Infinity;
  return (now) => {
    if (now - last < ms) return false;
    last = now;
    return true;
  };
}

/** Whether a preview playing [start, end) should stop at time t. */
export function previewShouldStop(range, t) {
  return Boolean(range) && Number.isFinite(Number(t)) && Number(t) >= range.end - 0.02;
}
