// "/" — new video (upload or link) and the library.

import { api, uploadVideo } from "./api.js";
import { detectOptions } from "./detect_options.js";
import { badge, h, icon, readConfig, say, setProgress } from "./dom.js";
import {
  clampPercent,
  formatBytes,
  formatDuration,
  formatRelative,
  pageInfo,
  statusLabel,
  videoName,
} from "./format.js";
import { isVideoTerminal } from "./polling.js";

const config = readConfig();
const PAGE_SIZE = 20;
const $ = (id) => document.getElementById(id);

const fileInput = $("file-input");
const dropzone = $("dropzone");
const uploadForm = $("upload-form");
const uploadStatus = $("upload-status");
const uploadBar = $("upload-bar");
const newError = $("new-error");
const importForm = $("import-form");
const importUrl = $("import-url");
const importSubmit = $("import-submit");

let currentUpload = null;

if (config.maxUploadBytes) $("upload-limit").textContent = ` · up to ${formatBytes(config.maxUploadBytes)}`;

function goToVideo(videoId) {
  window.location.assign(`/videos/${encodeURIComponent(videoId)}`);
}

function showError(message) {
  say(newError, message);
}

function setBusy(busy) {
  fileInput.disabled = busy;
  importUrl.disabled = busy;
  importSubmit.disabled = busy;
  uploadForm.classList.toggle("is-disabled", busy);
}

/** The "What to look for" fields, checked; shows the reason and returns null when invalid. */
function askedDetection() {
  const fields = Object.fromEntries(new FormData($("detect-form")).entries());
  const parsed = detectOptions(fields);
  if (!parsed.ok) {
    $("detect-options").open = true;
    showError(parsed.reason);
    return null;
  }
  return parsed.options;
}
$("detect-form").addEventListener("submit", (e) => e.preventDefault());
$("new-language").append(...(config.languages || []).map(([code, name]) => h("option", { value: code }, name)));
const chosenLanguage = () => $("new-language").value || null;

// --- upload -------------------------------------------------------------------------------

function startUpload(file) {
  if (!file || currentUpload) return;
  showError("");
  if (config.maxUploadBytes && file.size > config.maxUploadBytes) {
    showError(
      `“${file.name}” is ${formatBytes(file.size)}, which is too large to upload. ` +
        `The limit is ${formatBytes(config.maxUploadBytes)}.`,
    );
    return;
  }
  const detect = askedDetection();
  if (!detect) return;
  $("upload-name").textContent = file.name;
  uploadStatus.hidden = false;
  setProgress(uploadBar, 0);
  $("upload-phase").textContent = "Uploading…";
  setBusy(true);
  let lastAnnounced = -1;
  const job = uploadVideo(file, {
    maxBytes: config.maxUploadBytes,
    detect,
    language: chosenLanguage(),
    onProgress(loaded, total) {
      const pct = total ? (loaded / total) * 100 : 0;
      setProgress(uploadBar, pct, { text: `${clampPercent(pct)}% uploaded` });
      $("upload-numbers").textContent = `${formatBytes(loaded)} of ${formatBytes(total)} · ${clampPercent(pct)}%`;
      const step = Math.floor(pct / 25);
      if (step !== lastAnnounced) {
        lastAnnounced = step;
        $("upload-phase").textContent =
          pct >= 100 ? "Upload complete — saving the video…" : `Uploading… ${clampPercent(pct)}%`;
      }
    },
  });
  currentUpload = job;
  job.promise.then(
    (body) => {
      $("upload-phase").textContent = "Uploaded. Opening the video…";
      goToVideo(body.video_id);
    },
    (err) => {
      currentUpload = null;
      setBusy(false);
      uploadStatus.hidden = true;
      fileInput.value = "";
      if (err.code !== "aborted") showError(err.message);
      else say(newError, "");
    },
  );
}

fileInput.addEventListener("change", () => startUpload(fileInput.files && fileInput.files[0]));
$("upload-cancel").addEventListener("click", () => currentUpload && currentUpload.abort());

for (const type of ["dragenter", "dragover"]) {
  dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    if (!currentUpload) dropzone.classList.add("is-over");
  });
}
for (const type of ["dragleave", "dragend", "drop"]) {
  dropzone.addEventListener(type, () => dropzone.classList.remove("is-over"));
}
dropzone.addEventListener("drop", (e) => {
  e.preventDefault();
  const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
  if (file) startUpload(file);
});
// A file dropped anywhere else must not navigate away from the page.
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => e.preventDefault());

// --- import by link -----------------------------------------------------------------------

importForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  showError("");
  const url = importUrl.value.trim();
  if (!url) {
    importUrl.setAttribute("aria-invalid", "true");
    showError("Paste a link to a video first.");
    importUrl.focus();
    return;
  }
  if (!/^https?:\/\//i.test(url)) {
    importUrl.setAttribute("aria-invalid", "true");
    showError("The link must start with http:// or https://.");
    importUrl.focus();
    return;
  }
  importUrl.removeAttribute("aria-invalid");
  const detect = askedDetection();
  if (!detect) return;
  setBusy(true);
  importSubmit.textContent = "Importing…";
  try {
    const body = await api.importUrl(url, detect, chosenLanguage());
    goToVideo(body.video_id);
  } catch (err) {
    setBusy(false);
    importSubmit.textContent = "Import";
    importUrl.setAttribute("aria-invalid", "true");
    showError(err.message);
    importUrl.focus();
  }
});
importUrl.addEventListener("input", () => importUrl.removeAttribute("aria-invalid"));

// --- library ------------------------------------------------------------------------------

const list = $("video-list");
const pager = $("pager");
let offset = Math.max(0, (Number(new URLSearchParams(location.search).get("page")) || 1) - 1) * PAGE_SIZE;
let refreshTimer = null;

/** The row's thumbnail: the poster still (lazy), or a neutral placeholder until there is one. */
function poster(video, name) {
  if (video.poster_url) {
    const img = h("img", {
      class: "video-thumb",
      src: video.poster_url,
      alt: `Still from ${name}`,
      loading: "lazy",
      decoding: "async",
      width: "96",
      height: "54",
    });
    // A poster that fails to load falls back to the placeholder rather than a broken image.
    img.addEventListener("error", () => img.replaceWith(placeholder()), { once: true });
    return img;
  }
  return placeholder();
}

function placeholder() {
  return h("span", { class: "video-thumb video-thumb-empty", role: "img", "aria-label": "No preview image yet" }, icon("film"));
}

function videoRow(video) {
  const name = videoName(video);
  const busy = !isVideoTerminal(video);
  const meta = [
    video.duration != null ? formatDuration(video.duration) : null,
    video.source_kind === "url" ? "Link" : "Upload",
  ].filter(Boolean);
  const created = new Date(video.created_at);
  return h(
    "li",
    { class: "video-row" },
    h(
      "a",
      { class: "video-link", href: `/videos/${encodeURIComponent(video.id)}` },
      poster(video, name),
      h(
        "span",
        { class: "video-row-main" },
        h("span", { class: "video-name", title: name }, name),
        h("span", { class: "video-row-meta muted" }, meta.join(" · ")),
      ),
      h(
        "span",
        { class: "video-row-side" },
        badge(video.status, busy ? `${statusLabel(video.status)} ${clampPercent(video.progress)}%` : statusLabel(video.status)),
        h(
          "time",
          { class: "muted small", datetime: video.created_at, title: created.toLocaleString() },
          formatRelative(created),
        ),
      ),
    ),
  );
}

async function loadLibrary({ quiet = false } = {}) {
  clearTimeout(refreshTimer);
  if (!quiet) list.setAttribute("aria-busy", "true");
  try {
    const data = await api.listVideos(PAGE_SIZE, offset);
    if (data.items.length === 0 && data.total > 0 && offset > 0) {
      offset = Math.max(0, (Math.ceil(data.total / PAGE_SIZE) - 1) * PAGE_SIZE);
      return loadLibrary({ quiet });
    }
    say($("library-error"), "");
    list.replaceChildren(
      ...(data.items.length
        ? data.items.map(videoRow)
        : [h("li", { class: "empty" }, "No videos yet. Upload one above to get started.")]),
    );
    const info = pageInfo(data.total, PAGE_SIZE, offset);
    $("library-count").textContent = data.total
      ? `${data.total} video${data.total === 1 ? "" : "s"}`
      : "";
    pager.hidden = info.pages <= 1;
    $("page-label").textContent = `${info.from}–${info.to} of ${data.total}`;
    $("prev-page").disabled = offset === 0;
    $("next-page").disabled = offset + PAGE_SIZE >= data.total;
    // Keep in-flight rows fresh while anything is still processing.
    if (data.items.some((v) => !isVideoTerminal(v))) {
      refreshTimer = setTimeout(() => loadLibrary({ quiet: true }), 5000);
    }
  } catch (err) {
    say($("library-error"), `Could not load the library: ${err.message}`);
    refreshTimer = setTimeout(() => loadLibrary({ quiet: true }), 10000);
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

function goToPage(newOffset) {
  offset = Math.max(0, newOffset);
  const page = Math.floor(offset / PAGE_SIZE) + 1;
  const url = new URL(location.href);
  if (page > 1) url.searchParams.set("page", String(page));
  else url.searchParams.delete("page");
  history.replaceState(null, "", url);
  loadLibrary();
  $("library-title").scrollIntoView({ block: "start", behavior: "smooth" });
}

$("prev-page").addEventListener("click", () => goToPage(offset - PAGE_SIZE));
$("next-page").addEventListener("click", () => goToPage(offset + PAGE_SIZE));

loadLibrary();
