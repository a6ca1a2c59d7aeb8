// "/videos/{id}" — follow one video through its stages, then show its clips and exports.

import { api } from "./api.js";
import { detectOptions } from "./detect_options.js";
import {
  batchPanel,
  brandBox,
  exportRow,
  forgetExport,
  qualitySelect,
  ratioBoxes,
  readExportForm,
  reframeSelect,
  rememberExport,
  rememberedExports,
  stylePicker,
} from "./exporting.js";
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
import { DEFAULTS, isVideoTerminal, poll, videoSignature } from "./polling.js";
import {
  activeWordIndex,
  flattenWords,
  previewShouldStop,
  throttleGate,
  trimRequest,
} from "./transcript.js";

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
  if (video.source_url) showPlayer(video);
  showDetectOptions(video);
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
  if (group.querySelector("a")) return;
  for (const [format, label] of [["json", "JSON"], ["srt", "SRT"], ["vtt", "VTT"]]) {
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

// --- source player ------------------------------------------------------------------------

const player = $("player");
let playerSource = null;
/** Every word of the transcript in time order (transcript.js), and its buttons. */
let words = [];
let wordButtons = [];
let activeIndex = -1;
/** {start, end, clipId, button} while a clip's range is being previewed. */
let preview = null;
let loopHandle = 0;
const highlightGate = throttleGate(120);

function showPlayer(video) {
  $("media").hidden = false;
  if (playerSource === video.source_url) return;
  playerSource = video.source_url;
  if (video.poster_url) player.poster = video.poster_url;
  player.src = video.source_url;
}

player.addEventListener("error", () => {
  $("player-status").textContent = "This browser cannot play the original file; the clips and exports still work.";
});

function seekAndPlay(seconds) {
  if (!playerSource) return;
  player.currentTime = Math.max(0, seconds);
  const played = player.play();
  if (played && typeof played.catch === "function") {
    played.catch(() => {
      // autoplay refused or the source cannot play: the seek still happened
    });
  }
  updateHighlight();
}

function setActiveWord(index) {
  if (index === activeIndex) return;
  const old = wordButtons[activeIndex];
  if (old) {
    old.classList.remove("is-active");
    old.removeAttribute("aria-current");
  }
  activeIndex = index;
  const now = wordButtons[index];
  if (now) {
    now.classList.add("is-active");
    now.setAttribute("aria-current", "true");
    keepInView(now);
  }
}

/** Scroll the transcript box (not the page) so the spoken word stays visible. */
function keepInView(button) {
  const box = $("transcript");
  if (box.scrollHeight <= box.clientHeight) return;
  const top = button.offsetTop - box.offsetTop;
  if (top < box.scrollTop || top + button.offsetHeight > box.scrollTop + box.clientHeight) {
    box.scrollTop = Math.max(0, top - box.clientHeight / 3);
  }
}

function updateHighlight() {
  setActiveWord(activeWordIndex(words, player.currentTime));
}

function stopPreview() {
  if (!preview) return;
  const { button } = preview;
  preview = null;
  if (button) {
    button.setAttribute("aria-pressed", "false");
    button.lastChild.textContent = "Preview";
  }
}

function tick(now) {
  loopHandle = 0;
  if (preview && previewShouldStop(preview, player.currentTime)) {
    player.pause();
    stopPreview();
  }
  if (highlightGate(now)) updateHighlight();
  if (!player.paused && !player.ended) loopHandle = requestAnimationFrame(tick);
}

player.addEventListener("play", () => {
  if (!loopHandle) loopHandle = requestAnimationFrame(tick);
});
for (const type of ["pause", "ended", "seeked"]) {
  player.addEventListener(type, () => {
    if (type !== "seeked") stopPreview();
    updateHighlight();
  });
}
player.addEventListener("seeking", () => {
  // Someone moved the playhead outside the previewed range: the preview is over.
  if (preview && (player.currentTime < preview.start - 0.5 || player.currentTime > preview.end)) stopPreview();
});

function startPreview(clip, button) {
  if (preview && preview.button === button) {
    player.pause();
    stopPreview();
    return;
  }
  stopPreview();
  if (!playerSource) return;
  preview = { start: clip.start, end: clip.end, clipId: clip.id, button };
  button.setAttribute("aria-pressed", "true");
  button.lastChild.textContent = "Stop preview";
  const rect = player.getBoundingClientRect();
  if (rect.bottom < 0 || rect.top > window.innerHeight) player.scrollIntoView({ block: "nearest", behavior: "smooth" });
  seekAndPlay(clip.start);
}

// --- transcript -----------------------------------------------------------------------------

function renderTranscript(transcript) {
  words = flattenWords(transcript);
  const box = $("transcript");
  const segments = (transcript && transcript.segments) || [];
  const bySegment = new Map();
  for (const w of words) {
    if (!bySegment.has(w.segment)) bySegment.set(w.segment, []);
    bySegment.get(w.segment).push(w);
  }
  wordButtons = new Array(words.length);
  const paragraphs = segments.map((segment, i) => {
    const segWords = bySegment.get(i) || [];
    const start = Number(segment.start ?? (segWords[0] && segWords[0].start) ?? 0);
    return h("p", { class: "segment" },
      h("button", {
        type: "button",
        class: "segment-time",
        tabindex: "-1",
        "aria-label": `Play from ${formatTimecode(start)}`,
        onclick: () => seekAndPlay(start),
      }, formatTimecode(start)),
      " ",
      segWords.length
        ? segWords.map((w) => {
          const button = h("button", {
            type: "button",
            class: "word",
            tabindex: "-1",
            title: formatTimecode(w.start),
            dataset: { index: String(w.index), start: String(w.start) },
          }, w.text);
          wordButtons[w.index] = button;
          return [button, " "];
        })
        : h("span", {}, segment.text || ""),
    );
  });
  box.replaceChildren(...(paragraphs.length ? paragraphs : [h("p", { class: "muted" }, "No speech was found.")]));
  if (wordButtons[0]) wordButtons[0].tabIndex = 0;
  box.setAttribute("aria-busy", "false");
}

function focusWord(index) {
  const target = wordButtons[Math.max(0, Math.min(wordButtons.length - 1, index))];
  if (!target) return;
  for (const b of wordButtons) if (b.tabIndex === 0) b.tabIndex = -1;
  target.tabIndex = 0;
  target.focus();
}

$("transcript").addEventListener("click", (e) => {
  const button = e.target.closest("button.word");
  if (!button) return;
  stopPreview();
  const index = Number(button.dataset.index);
  focusWord(index);
  seekAndPlay(Number(button.dataset.start));
});

$("transcript").addEventListener("keydown", (e) => {
  const button = e.target.closest("button.word");
  if (!button) return;
  const index = Number(button.dataset.index);
  const moves = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1, Home: 0, End: wordButtons.length - 1 };
  if (e.key in moves) {
    e.preventDefault();
    focusWord(moves[e.key]);
  }
});

async function loadTranscript() {
  $("transcript-section").hidden = false;
  renderTranscriptLinks();
  try {
    renderTranscript(await api.getTranscript(videoId));
  } catch (err) {
    $("transcript").setAttribute("aria-busy", "false");
    say($("transcript-error"), `Could not load the transcript: ${err.message} Trimming clips needs it; reload to try again.`);
  }
}

async function loadResults() {
  $("results").hidden = false;
  $("media").hidden = false;
  const transcriptLoaded = loadTranscript();
  const list = $("clips");
  list.setAttribute("aria-busy", "true");
  try {
    const data = await api.listClips(videoId);
    await transcriptLoaded;
    const clips = [...data.items].sort((a, b) => a.rank - b.rank);
    $("clips-title").textContent = clips.length ? `Clips (${clips.length})` : "Clips";
    $("batch").replaceChildren(clips.length ? batchPanel(videoId) : "");
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

function rangeText(clip) {
  return `#${clip.rank} · ${formatTimecode(clip.start)} – ${formatTimecode(clip.end)} · ${formatDuration(clip.duration)}`;
}

/** Preview and trim controls: move either edge by one word (PATCH), play the range. */
function clipControls(clip, onTrimmed) {
  const status = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const error = h("p", { class: "notice notice-bad trim-error", role: "alert", hidden: true });
  const previewButton = h("button", {
    type: "button",
    class: "btn btn-ghost btn-sm preview-button",
    "aria-pressed": "false",
    "aria-label": `Preview clip ${clip.rank}`,
  }, icon("film"), h("span", {}, "Preview"));
  previewButton.addEventListener("click", () => startPreview(clip, previewButton));
  if (!playerSource) previewButton.disabled = true;

  let busy = false;
  async function trim(edge, step, button) {
    if (busy) return;
    say(error, "");
    const req = trimRequest(words, clip, edge, step);
    if (!req.ok) {
      say(error, req.reason);
      return;
    }
    busy = true;
    group.setAttribute("aria-busy", "true");
    button.classList.add("is-busy");
    try {
      const updated = await api.trimClip(clip.id, req.start, req.end);
      Object.assign(clip, updated);
      onTrimmed(clip);
      if (preview && preview.clipId === clip.id) Object.assign(preview, { start: clip.start, end: clip.end });
      status.textContent = `Clip ${clip.rank} now runs from ${formatTimecode(clip.start)} to ${formatTimecode(clip.end)}, ${formatDuration(clip.duration)}.`;
    } catch (err) {
      say(error, `Could not adjust the clip: ${err.message}`);
    } finally {
      busy = false;
      group.setAttribute("aria-busy", "false");
      button.classList.remove("is-busy");
    }
  }

  function trimButton(edge, step, text, label) {
    const button = h("button", { type: "button", class: "btn btn-ghost btn-sm trim-button", "aria-label": label }, text);
    button.addEventListener("click", () => trim(edge, step, button));
    return button;
  }

  const n = clip.rank;
  const group = h("div", { class: "trim", role: "group", "aria-label": `Adjust clip ${n}` },
    h("div", { class: "trim-edge" },
      h("span", { class: "trim-label", "aria-hidden": "true" }, "Start"),
      trimButton("start", -1, "−word", `Start of clip ${n}: one word earlier`),
      trimButton("start", +1, "+word", `Start of clip ${n}: one word later`),
    ),
    h("div", { class: "trim-edge" },
      h("span", { class: "trim-label", "aria-hidden": "true" }, "End"),
      trimButton("end", -1, "−word", `End of clip ${n}: one word earlier`),
      trimButton("end", +1, "+word", `End of clip ${n}: one word later`),
    ),
  );
  if (!words.length) {
    for (const b of group.querySelectorAll("button")) b.disabled = true;
    group.append(h("span", { class: "muted small" }, "Trimming needs the transcript."));
  }
  return h("div", { class: "clip-controls" }, previewButton, group, status, error);
}

function clipCard(clip) {
  const titleId = `clip-${clip.id}-title`;
  const exportsBox = h("div", { class: "exports" });
  const button = h("button", { type: "submit", class: "btn btn-primary" }, "Export");
  const formError = h("p", { class: "notice notice-bad export-error", role: "alert", hidden: true });
  const form = h("form", { class: "export-form", "aria-label": `Export clip ${clip.rank}` },
    ratioBoxes(),
    stylePicker(`style-${clip.id}`),
    qualitySelect(`quality-${clip.id}`),
    reframeSelect(`reframe-${clip.id}`),
    brandBox(`brand-${clip.id}`),
    h("div", { class: "field field-action" }, button),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    say(formError, "");
    const ask = readExportForm(form);
    if (!ask.ok) {
      say(formError, ask.reason);
      return;
    }
    button.disabled = true;
    try {
      // One request per aspect ratio; each export gets its own row, progress and link.
      for (const ratio of ask.ratios) {
        try {
          const exp = await api.createExport(clip.id, { aspect_ratio: ratio, ...ask.body });
          rememberExport(clip.id, exp.id);
          exportsBox.prepend(exportRow(exp));
        } catch (err) {
          exportsBox.prepend(h("div", { class: "notice notice-bad", role: "alert" }, `The ${ratio} export failed to start: ${err.message}`));
        }
      }
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

  const rangeLine = h("p", { class: "clip-rank muted" }, rangeText(clip));
  const quote = h("blockquote", {}, clip.text);
  const controls = clipControls(clip, (updated) => {
    rangeLine.textContent = rangeText(updated);
    quote.textContent = updated.text;
  });

  return h(
    "li",
    { class: "card clip", "aria-labelledby": titleId, dataset: { clipId: clip.id } },
    h("div", { class: "clip-head" },
      h("div", { class: `score score-${scoreTone(clip.score)}`, "aria-label": `Score ${clip.score} out of 100` },
        h("span", { class: "score-value" }, String(clip.score)),
        h("span", { class: "score-label", "aria-hidden": "true" }, "score"),
      ),
      h("div", { class: "clip-title-wrap" },
        rangeLine,
        h("h3", { id: titleId, class: "clip-title" }, clip.title || `Clip ${clip.rank}`),
      ),
    ),
    controls,
    h("div", { class: "clip-body" },
      h("div", { class: "clip-text-col" },
        clip.description ? h("p", { class: "clip-description" }, clip.description) : null,
        clip.hashtags && clip.hashtags.length
          ? h("ul", { class: "hashtags", "aria-label": "Suggested hashtags" }, clip.hashtags.map((tag) => h("li", {}, tag)))
          : null,
        clip.reason ? h("p", { class: "clip-reason" }, h("span", { class: "muted" }, "Why: "), clip.reason) : null,
        h("details", { class: "clip-text" },
          h("summary", {}, "Transcript of this clip"),
          quote,
        ),
      ),
      breakdownList(clip.breakdown),
    ),
    form,
    formError,
    exportsBox,
  );
}

// --- find clips again ----------------------------------------------------------------------

function showDetectOptions(video) {
  const opts = video.detect_options;
  if (!opts) return;
  const form = $("redetect-form");
  const set = (name, value) => {
    const el = form.elements.namedItem(name);
    if (el && value != null && el.value === "") el.value = Array.isArray(value) ? value.join(", ") : String(value);
  };
  set("count", opts.count);
  set("minSeconds", opts.min_seconds);
  set("maxSeconds", opts.max_seconds);
  set("keywords", opts.keywords && opts.keywords.length ? opts.keywords : null);
  set("from", opts.search_start);
  set("to", opts.search_end);
}

$("redetect-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const error = $("redetect-error");
  say(error, "");
  const fields = Object.fromEntries(new FormData(form).entries());
  const parsed = detectOptions(fields);
  if (!parsed.ok) {
    say(error, parsed.reason);
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await api.redetect(videoId, parsed.options);
    clipsLoaded = false;
    $("results").hidden = true;
    $("processing").hidden = false;
    follow();
  } catch (err) {
    say(error, `Could not look again: ${err.message}`);
  } finally {
    button.disabled = false;
  }
});

// --- start --------------------------------------------------------------------------------

buildStages();
if (!videoId) {
  say($("page-error"), "This address does not name a video.");
} else {
  follow();
}
