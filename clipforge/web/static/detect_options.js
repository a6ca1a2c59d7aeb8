// Detection options from the "what to look for" fields: pure parsing and validation, shared by
// the new-video form and "Find clips again". Mirrors the API's rules so mistakes show at once.

export const LIMITS = { minSeconds: 3, maxSeconds: 600, maxCount: 50, maxKeywords: 20 };

/** "1:30", "90" or "1:02:03" → seconds; "" → null; anything else → NaN. */
export function parseTime(text) {
  const value = String(text ?? "").trim();
  if (!value) return null;
  if (!/^\d+(\.\d+)?(:\d{1,2}(\.\d+)?){0,2}$/.test(value)) return NaN;
  return value.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

/** "money, sleep habits;AI" → ["money", "sleep habits", "AI"] (trimmed, deduplicated). */
export function parseKeywords(text) {
  const seen = new Set();
  const out = [];
  for (const raw of String(text ?? "").split(/[,;\n]/)) {
    const word = raw.trim();
    if (word && !seen.has(word.toLowerCase())) {
      seen.add(word.toLowerCase());
      out.push(word);
    }
  }
  return out;
}

/**
 * Raw field strings → {ok: true, options} (only the fields given) or {ok: false, reason}.
 * fields: {count, minSeconds, maxSeconds, keywords, from, to}
 */
export function detectOptions(fields) {
  const options = {};
  const num = (v) => (String(v ?? "").trim() === "" ? null : Number(v));
  const count = num(fields.count);
  if (count !== null) {
    if (!Number.isInteger(count) || count < 1 || count > LIMITS.maxCount) {
      return { ok: false, reason: `Number of clips must be a whole number from 1 to ${LIMITS.maxCount}.` };
    }
    options.count = count;
  }
  const min = num(fields.minSeconds);
  const max = num(fields.maxSeconds);
  for (const [name, v] of [["Shortest", min], ["Longest", max]]) {
    if (v !== null && (!Number.isFinite(v) || v < LIMITS.minSeconds || v > LIMITS.maxSeconds)) {
      return { ok: false, reason: `${name} clip must be between ${LIMITS.minSeconds} and ${LIMITS.maxSeconds} seconds.` };
    }
  }
  if (min !== null && max !== null && min > max) {
    return { ok: false, reason: "The shortest clip cannot be longer than the longest." };
  }
  if (min !== null) options.min_seconds = min;
  if (max !== null) options.max_seconds = max;
  const keywords = parseKeywords(fields.keywords);
  if (keywords.length > LIMITS.maxKeywords) {
    return { ok: false, reason: `At most ${LIMITS.maxKeywords} keywords.` };
  }
  if (keywords.length) options.keywords = keywords;
  const from = parseTime(fields.from);
  const to = parseTime(fields.to);
  if (Number.isNaN(from) || Number.isNaN(to)) {
    return { ok: false, reason: "Times look like 90, 1:30 or 1:02:03." };
  }
  if (from !== null && to !== null && to <= from) {
    return { ok: false, reason: "The search range must end after it starts." };
  }
  if (from !== null) options.search_start = from;
  if (to !== null) options.search_end = to;
  return { ok: true, options };
}

/** The options as a query string for the upload endpoint (the body there is the file). */
export function toQuery(options) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(options || {})) {
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else if (value != null) params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
