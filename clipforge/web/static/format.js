// Formatting helpers shared by the pages. Pure: no DOM.

export const STAGES = ["import", "transcribe", "detect"];

export const STAGE_LABELS = Object.freeze({
  import: "Import",
  transcribe: "Transcribe",
  detect: "Find clips",
});

const STAGE_FAILURE_WORDS = Object.freeze({
  import: "while importing the video",
  transcribe: "while transcribing the speech",
  detect: "while finding the clips",
});

export const STATUS_LABELS = Object.freeze({
  queued: "Queued",
  importing: "Importing",
  transcribing: "Transcribing",
  detecting: "Finding clips",
  ready: "Ready",
  failed: "Failed",
  rendering: "Rendering",
});

export const STATE_LABELS = Object.freeze({
  pending: "Waiting",
  queued: "Queued",
  running: "Running",
  done: "Done",
  failed: "Failed",
});

export function statusLabel(status) {
  return STATUS_LABELS[status] || capitalise(String(status || "unknown"));
}

export function stageLabel(name) {
  return STAGE_LABELS[name] || capitalise(String(name || ""));
}

/** "Failed while transcribing the speech" for a failed_stage, a plain sentence otherwise. */
export function failedStageInWords(stage) {
  if (!stage) return "Processing failed";
  return `Failed ${STAGE_FAILURE_WORDS[stage] || `during the ${stage} stage`}`;
}

export function capitalise(text) {
  const s = String(text).replace(/[_-]+/g, " ").trim();
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** 75.4 -> "1:15", 3725 -> "1:02:05"; null -> "—". */
export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(Number(seconds)) || seconds < 0) return "—";
  const total = Math.round(Number(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** A time code with tenths: 12.34 -> "0:12.3". */
export function formatTimecode(seconds) {
  if (seconds == null || !Number.isFinite(Number(seconds))) return "—";
  const tenths = Math.round(Number(seconds) * 10);
  const whole = Math.floor(tenths / 10);
  return `${formatDuration(whole)}.${tenths % 10}`;
}

export function formatBytes(bytes) {
  if (bytes == null || !Number.isFinite(Number(bytes))) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(bytes);
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  const digits = i === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 1;
  return `${value.toFixed(digits).replace(/\.0$/, "")} ${units[i]}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", else a date. */
export function formatRelative(date, now = Date.now()) {
  const t = date instanceof Date ? date.getTime() : Date.parse(date);
  if (!Number.isFinite(t)) return "—";
  const diff = Math.round((now - t) / 1000);
  if (diff < 45) return "just now";
  if (diff < 3600) return `${Math.max(1, Math.round(diff / 60))} min ago`;
  if (diff < 86400) return `${Math.round(diff / 3600)} h ago`;
  if (diff < 7 * 86400) {
    const days = Math.round(diff / 86400);
    return `${days} day${days === 1 ? "" : "s"} ago`;
  }
  return new Date(t).toISOString().slice(0, 10);
}

export function clampPercent(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return 0;
  return Math.max(0, Math.min(100, Math.round(n)));
}

/** The name a person recognises for a video: its title, else the last part of its source. */
export function videoName(video) {
  if (!video) return "";
  if (video.title) return video.title;
  const source = String(video.source || "");
  try {
    const url = new URL(source);
    const last = url.pathname.split("/").filter(Boolean).pop();
    return last ? decodeURIComponent(last) : url.host;
  } catch {
    return source || video.id;
  }
}

/** Page numbers for a list: {page, pages, from, to} (1-based, from/to inclusive). */
export function pageInfo(total, limit, offset) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.min(pages, Math.floor(offset / limit) + 1);
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(total, offset + limit);
  return { page, pages, from, to };
}

/** The message to show for a failed upload, from its HTTP status and error body. */
export function uploadErrorMessage(status, body, maxBytes) {
  const serverMessage = body && body.error && body.error.message;
  if (status === 413) {
    const limit = maxBytes ? ` The limit is ${formatBytes(maxBytes)}.` : "";
    return `This file is too large to upload.${limit}`;
  }
  if (status === 0) return "The upload was interrupted. Check your connection and try again.";
  if (serverMessage) return serverMessage;
  if (status >= 500) return "The server could not accept the video right now. Try again shortly.";
  return `The upload failed (HTTP ${status}).`;
}
