// "/videos/{id}" — follow one video through its stages, then show its clips and exports.

import { api } from "./api.js";
import { badge, h, icon, progressBar, readConfig, say, setProgress } from "./dom.js";
import {
  STAGES,
  STATE_LABELS,
  capitalise,
  clampPercent,
  failedStageInWords,
  formatDuration,
  formatRelative,
  formatTimecode,
  stageLabel,
  statusLabel,
  videoName,
} from "./format.js";
import {
  DEFAULTS,
  exportSignature,
  isExportTerminal,
  isVideoTerminal,
  poll,
  videoSignature,
} from "./polling.js";

const config = readConfig();
const $ = (id) => document.getElementById(id);
const videoId = config.videoId || decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");

const stageEls = new Map();
let lastAnnouncement = "";
let clipsLoaded = false;
let controller = null;

// --- stages -------------------------------------------------------------------------------

function buildStages() {
  const list = $("stages");
  for (const name of STAGES) {
    const bar = progressBar(`${stageLabel(name)} progress`);
    const state = h("span", { class: "stage-state" });
    const pct = h("span", { class: "stage-pct", "aria-hidden": "true" });
    const li = h(
      "li",
      { class: "stage", dataset: { state: "pending" } },
      h("span", { class: "stage-icon", "aria-hidden": "true" }, icon("dot")),
      h("div", { class: "stage-body" },
        h("div", { class: "stage-row" }, h("span", { class: "stage-name" }, stageLabel(name)), state, pct),
        bar,
      ),
    );
    stageEls.set(name, { li, bar, state, pct });
    list.append(li);
  }
}

const STAGE_ICONS = { done: "check", failed: "x", running: "spinner", queued: "clock", pending: "dot" };

function renderStages(video) {
  for (const stage of video.stages || []) {
    const el = stageEls.get(stage.name);
    if (!el) continue;
    const stateName = stage.state;
    if (el.li.dataset.state !== stateName) {
      el.li.dataset.state = stateName;
      el.li.querySelector(".stage-icon").replaceChildren(icon(STAGE_ICONS[stateName] || "dot"));
    }
    el.state.textContent = STATE_LABELS[stateName] || capitalise(stateName);
    const pct = stateName === "done" ? 100 : clampPercent(stage.progress);
    el.pct.textContent = stateName === "pending" ? "" : `${pct}%`;
    const tone = stateName === "done" ? "ok" : stateName === "failed" ? "bad" : stateName === "running" ? "busy" : "";
    setProgress(el.bar, pct, { tone, text: `${stageLabel(stage.name)}: ${STATE_LABELS[stateName] || stateName}, ${pct}%` });
  }
}

function renderVideo(video) {
  const name = videoName(video);
  $("video-title").textContent = name;
  document.title = `${name} · ClipForge`;
  const meta = [];
  if (video.duration != null) meta.push(formatDuration(video.duration));
  if (video.width && video.height) meta.push(`${video.width}×${video.height}`);
  meta.push(video.source_kind === "url" ? "Imported from a link" : "Uploaded");
  meta.push(`added ${formatRelative(video.created_at)}`);
  $("video-meta").textContent = meta.join(" · ");
  $("video-badge").replaceChildren(badge(video.status, statusLabel(video.status)));

  const overall = video.status === "ready" ? 100 : clampPercent(video.progress);
  $("overall-number").textContent = `${overall}%`;
  setProgress($("overall-bar"), overall, {
    tone: video.status === "failed" ? "bad" : video.status === "ready" ? "ok" : "busy",
    text: `${statusLabel(video.status)}, ${overall}% overall`,
  });
  renderStages(video);

  // Announce state changes (not every percent) to screen readers.
  let announcement;
  if (video.status === "ready") announcement = "Processing finished. Your clips are ready.";
  else if (video.status === "failed") announcement = `${failedStageInWords(video.failed_stage)}.`;
  else if (video.status === "queued") announcement = "Waiting for a worker to pick the video up…";
  else announcement = `${statusLabel(video.status)}…`;
  if (announcement !== lastAnnouncement) {
    lastAnnouncement = announcement;
    $("live-status").textContent = announcement;
  }

  const failed = video.status === "failed";
  // The failure box says it visibly; the live line stays for screen readers only.
  $("live-status").classList.toggle("visually-hidden", failed);
  $("failed-box").hidden = !failed;
  if (failed) {
    $("failed-stage").textContent = `${failedStageInWords(video.failed_stage)}.`;
    $("failed-error").textContent = video.error || "No error message was recorded.";
  }
  $("processing").classList.toggle("is-done", video.status === "ready");
  if (video.status === "ready" && !clipsLoaded) {
    clipsLoaded = true;
    loadResults();
  }
}

// --- polling ------------------------------------------------------------------------------

async function follow() {
  if (controller) controller.abort();
  controller = new AbortController();
  $("timeout-box").hidden = true;
  const result = await poll({
    fetchOnce: () => api.getVideo(videoId),
    isDone: isVideoTerminal,
    signature: videoSignature,
    onUpdate(video) {
      say($("page-error"), "");
      renderVideo(video);
    },
    onError(err) {
      say($("page-error"), `${err.message || "Could not load the video."} Still trying…`);
    },
    signal: controller.signal,
    timeoutMs: DEFAULTS.timeoutMs,
  });
  if (result.outcome === "timeout") {
    $("timeout-box").hidden = false;
    $("live-status").textContent = "Still processing. Press Keep waiting to keep following it.";
    lastAnnouncement = "";
  } else if (result.outcome === "fatal") {
    const notFound = result.error && result.error.status === 404;
    say($("page-error"), notFound ? "There is no video with this id. It may have been deleted." : result.error.message);
    $("video-title").textContent = notFound ? "Video not found" : "Could not load the video";
    $("processing").hidden = true;
  }
}

$("keep-waiting").addEventListener("click", () => {
  $("live-status").textContent = "Following the video again…";
  follow();
});

$("retry-button").addEventListener("click", async () => {
  const button = $("retry-button");
  button.disabled = true;
  button.textContent = "Retrying…";
  try {
    await api.retryVideo(videoId);
    $("failed-box").hidden = true;
    say($("page-error"), "");
    follow();
  } catch (err) {
    say($("page-error"), `Retry failed: ${err.message}`);
  } finally {
    button.disabled = false;
    button.textContent = "Retry";
  }
});

// --- results: transcript + clips ---------------------------------------------------------

function renderTranscriptLinks() {
  const group = $("transcript-links");
  for (const [format, label] of [["srt", "SRT"], ["vtt", "VTT"], ["json", "JSON"]]) {
    group.append(
      h("a", {
        class: "btn btn-ghost btn-sm",
        href: api.transcriptUrl(videoId, format),
        download: `${videoId}.${format}`,
        "aria-label": `Download transcript as ${label}`,
      }, icon("download"), label),
    );
  }
}

async function loadResults() {
  $("results").hidden = false;
  renderTranscriptLinks();
  const list = $("clips");
  list.setAttribute("aria-busy", "true");
  try {
    const data = await api.listClips(videoId);
    const clips = [...data.items].sort((a, b) => a.rank - b.rank);
    $("clips-title").textContent = clips.length ? `Clips (${clips.length})` : "Clips";
    list.replaceChildren(
      ...(clips.length
        ? clips.map(clipCard)
        : [h("li", { class: "empty card" }, "No clips were found in this video. Try a longer recording with more speech.")]),
    );
  } catch (err) {
    say($("clips-error"), `Could not load the clips: ${err.message}`);
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

function scoreTone(score) {
  return score >= 70 ? "high" : score >= 45 ? "mid" : "low";
}

function breakdownList(breakdown) {
  const max = config.featureMax || 25;
  return h(
    "dl",
    { class: "breakdown" },
    Object.entries(breakdown || {}).map(([name, value]) => {
      const bar = progressBar(`${capitalise(name)} score`, { size: "sm" });
      setProgress(bar, (value / max) * 100, { text: `${value} of ${max}` });
      return h("div", { class: "breakdown-row" },
        h("dt", {}, capitalise(name)),
        h("dd", {}, bar, h("span", { class: "breakdown-value" }, `${value}/${max}`)),
      );
    }),
  );
}

function select(id, label, options, value) {
  return h("div", { class: "field" },
    h("label", { for: id, class: "field-label" }, label),
    h("select", { id, name: id }, options.map((o) => h("option", { value: o, selected: o === value }, capitalise(o)))),
  );
}

function clipCard(clip) {
  const titleId = `clip-${clip.id}-title`;
  const exportsBox = h("div", { class: "exports" });
  const aspectId = `aspect-${clip.id}`;
  const styleId = `style-${clip.id}`;
  const styles = config.captionStyles && config.captionStyles.length ? config.captionStyles : ["karaoke", "bold", "minimal"];
  const ratios = config.aspectRatios && config.aspectRatios.length ? config.aspectRatios : ["9:16", "1:1", "4:5", "16:9"];
  const button = h("button", { type: "submit", class: "btn btn-primary" }, "Export");
  const form = h("form", { class: "export-form", "aria-label": `Export clip ${clip.rank}` },
    select(aspectId, "Aspect ratio", ratios, "9:16"),
    select(styleId, "Captions", styles, styles[0]),
    h("div", { class: "field field-action" }, button),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      const exp = await api.createExport(clip.id, {
        aspect_ratio: form.querySelector(`#${CSS.escape(aspectId)}`).value,
        caption_style: form.querySelector(`#${CSS.escape(styleId)}`).value,
      });
      rememberExport(clip.id, exp.id);
      exportsBox.prepend(exportRow(exp));
    } catch (err) {
      exportsBox.prepend(h("div", { class: "notice notice-bad", role: "alert" }, `Export failed to start: ${err.message}`));
    } finally {
      button.disabled = false;
    }
  });

  // Exports started earlier (this browser) come back after a reload.
  for (const exportId of rememberedExports(clip.id)) {
    api.getExport(exportId).then(
      (exp) => exportsBox.append(exportRow(exp)),
      (err) => { if (err.fatal) forgetExport(clip.id, exportId); },
    );
  }

  return h(
    "li",
    { class: "card clip", "aria-labelledby": titleId },
    h("div", { class: "clip-head" },
      h("div", { class: `score score-${scoreTone(clip.score)}`, "aria-label": `Score ${clip.score} out of 100` },
        h("span", { class: "score-value" }, String(clip.score)),
        h("span", { class: "score-label", "aria-hidden": "true" }, "score"),
      ),
      h("div", { class: "clip-title-wrap" },
        h("p", { class: "clip-rank muted" }, `#${clip.rank} · ${formatTimecode(clip.start)} – ${formatTimecode(clip.end)} · ${formatDuration(clip.duration)}`),
        h("h3", { id: titleId, class: "clip-title" }, clip.title || `Clip ${clip.rank}`),
      ),
    ),
    h("div", { class: "clip-body" },
      h("div", { class: "clip-text-col" },
        clip.reason ? h("p", { class: "clip-reason" }, clip.reason) : null,
        h("details", { class: "clip-text" },
          h("summary", {}, "Transcript of this clip"),
          h("blockquote", {}, clip.text),
        ),
      ),
      breakdownList(clip.breakdown),
    ),
    form,
    exportsBox,
  );
}

// --- exports ------------------------------------------------------------------------------

const EXPORTS_KEY = "clipforge.exports.";

function rememberedExports(clipId) {
  try {
    const ids = JSON.parse(localStorage.getItem(EXPORTS_KEY + clipId) || "[]");
    return Array.isArray(ids) ? ids.slice(0, 10) : [];
  } catch {
    return [];
  }
}

function rememberExport(clipId, exportId) {
  try {
    const ids = [exportId, ...rememberedExports(clipId).filter((x) => x !== exportId)].slice(0, 10);
    localStorage.setItem(EXPORTS_KEY + clipId, JSON.stringify(ids));
  } catch {
    // storage full or disabled: the export still works, it is just not remembered
  }
}

function forgetExport(clipId, exportId) {
  try {
    const ids = rememberedExports(clipId).filter((x) => x !== exportId);
    localStorage.setItem(EXPORTS_KEY + clipId, JSON.stringify(ids));
  } catch {
    // ignore
  }
}

function exportRow(initial) {
  const bar = progressBar(`Export ${initial.aspect_ratio} ${initial.caption_style} progress`);
  const label = h("span", { class: "export-label" }, `${initial.aspect_ratio} · ${capitalise(initial.caption_style)}`);
  const status = h("span", { class: "export-status muted", role: "status", "aria-live": "polite" });
  const result = h("div", { class: "export-result" });
  const row = h("div", { class: "export-row" },
    h("div", { class: "export-line" }, label, status),
    bar,
    result,
  );

  let announced = "";
  function render(exp) {
    const pct = exp.status === "ready" ? 100 : clampPercent(exp.progress);
    const tone = exp.status === "ready" ? "ok" : exp.status === "failed" ? "bad" : "busy";
    setProgress(bar, pct, { tone, text: `${statusLabel(exp.status)}, ${pct}%` });
    const text =
      exp.status === "ready" ? "Ready" : exp.status === "failed" ? "Failed" : `${statusLabel(exp.status)} ${pct}%`;
    status.textContent = text;
    bar.hidden = exp.status === "ready";
    if (exp.status === "ready" && announced !== "ready") {
      announced = "ready";
      result.replaceChildren(
        exp.thumbnail_url
          ? h("img", { class: "thumb", src: exp.thumbnail_url, alt: `Thumbnail of the ${exp.aspect_ratio} export`, loading: "lazy" })
          : null,
        h("div", { class: "export-links" },
          exp.download_url
            ? h("a", { class: "btn btn-primary", href: exp.download_url, download: "" }, icon("download"), "Download MP4")
            : null,
          exp.srt_url ? h("a", { class: "btn btn-ghost", href: exp.srt_url, download: "" }, "Captions (SRT)") : null,
          exp.duration != null
            ? h("span", { class: "muted small" }, `${formatDuration(exp.duration)}${exp.width ? ` · ${exp.width}×${exp.height}` : ""}`)
            : null,
        ),
      );
    } else if (exp.status === "failed" && announced !== "failed") {
      announced = "failed";
      result.replaceChildren(h("p", { class: "notice notice-bad", role: "alert" }, exp.error || "The render failed."));
    }
  }

  render(initial);
  if (!isExportTerminal(initial)) {
    const keepFollowing = () =>
      poll({
        fetchOnce: () => api.getExport(initial.id),
        isDone: isExportTerminal,
        signature: exportSignature,
        onUpdate: render,
        onError: (err) => { status.textContent = `${err.message} Retrying…`; },
      }).then((res) => {
        if (res.outcome === "timeout") {
          const again = h("button", { type: "button", class: "btn btn-ghost btn-sm" }, "Keep waiting");
          again.addEventListener("click", () => { again.remove(); keepFollowing(); });
          status.textContent = "Still rendering.";
          result.replaceChildren(again);
        } else if (res.outcome === "fatal") {
          status.textContent = res.error.message;
        }
      });
    keepFollowing();
  }
  return row;
}

// --- start --------------------------------------------------------------------------------

buildStages();
if (!videoId) {
  say($("page-error"), "This address does not name a video.");
} else {
  follow();
}
