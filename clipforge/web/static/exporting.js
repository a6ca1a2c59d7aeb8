// Export controls shared by each clip card and the "Export all clips" panel: caption-style
// picker with preview images, quality, aspect ratios, per-export progress rows and batch
// progress with the ZIP download.

import { api } from "./api.js";
import { h, icon, progressBar, readConfig, say, setProgress } from "./dom.js";
import { capitalise, clampPercent, formatDuration, statusLabel } from "./format.js";
import { exportSignature, isExportTerminal, poll } from "./polling.js";

const config = readConfig();

export const QUALITIES = [
  ["draft", "Draft · 720p, fastest"],
  ["standard", "Standard · 1080p"],
  ["high", "High · 1080p, best"],
];

export function captionStyles() {
  return config.captionStyles && config.captionStyles.length ? config.captionStyles : ["karaoke", "bold", "minimal"];
}

export function aspectRatios() {
  return config.aspectRatios && config.aspectRatios.length ? config.aspectRatios : ["9:16", "1:1", "4:5", "16:9"];
}

/** Radio cards, one per caption style, each showing a frame rendered with that style. */
export function stylePicker(name, value = captionStyles()[0]) {
  return h("fieldset", { class: "field style-picker" },
    h("legend", { class: "field-label" }, "Caption style"),
    h("div", { class: "style-options" },
      captionStyles().map((style) =>
        h("label", { class: "style-option" },
          h("input", { type: "radio", name, value: style, checked: style === value, class: "visually-hidden-input" }),
          h("img", { src: `/static/captions/${encodeURIComponent(style)}.png`, alt: "", width: "135", height: "55", loading: "lazy" }),
          h("span", { class: "style-name" }, capitalise(style)),
        ),
      ),
    ),
  );
}

export function qualitySelect(id, value = "standard") {
  return h("div", { class: "field" },
    h("label", { for: id, class: "field-label" }, "Quality"),
    h("select", { id, name: "quality" }, QUALITIES.map(([v, text]) => h("option", { value: v, selected: v === value }, text))),
  );
}

export const REFRAMES = [
  ["face", "Follow the speaker's face"],
  ["center", "Centre crop"],
  ["fit", "Whole frame, blurred fill"],
];

export function reframeSelect(id, value = "face") {
  return h("div", { class: "field" },
    h("label", { for: id, class: "field-label" }, "Framing"),
    h("select", { id, name: "reframe" }, REFRAMES.map(([v, text]) => h("option", { value: v, selected: v === value }, text))),
  );
}

export function ratioBoxes(name = "aspect_ratio") {
  return h("fieldset", { class: "field ratios" },
    h("legend", { class: "field-label" }, "Aspect ratios"),
    h("div", { class: "ratio-options" },
      aspectRatios().map((ratio) => h("label", { class: "ratio-option" },
        h("input", { type: "checkbox", name, value: ratio, checked: ratio === "9:16" }),
        ` ${ratio}`,
      )),
    ),
  );
}

export function brandBox(id) {
  return h("div", { class: "field brand-toggle" },
    h("label", { for: id, title: "Your logo, colours, font and title cards (edit them on the Brand kit page)" },
      h("input", { id, type: "checkbox", name: "brand", checked: true }),
      " Brand kit",
    ),
  );
}

/** What an export form asks for: {ok, ratios, caption_style, quality, body} or {ok: false, reason}. */
export function readExportForm(form) {
  const ratios = [...form.querySelectorAll('input[name="aspect_ratio"]:checked')].map((x) => x.value);
  if (!ratios.length) return { ok: false, reason: "Choose at least one aspect ratio to export." };
  const style = form.querySelector('input[type="radio"]:checked');
  const quality = form.querySelector('select[name="quality"]');
  const brand = form.querySelector('input[name="brand"]');
  const reframe = form.querySelector('select[name="reframe"]');
  const body = {
    caption_style: style ? style.value : captionStyles()[0],
    quality: quality ? quality.value : "standard",
    reframe: reframe ? reframe.value : "face",
  };
  // Unticked: leave the kit off. Ticked: the server applies the kit when there is one.
  if (brand && !brand.checked) body.brand = false;
  return { ok: true, ratios, ...body, body };
}

// --- remembered ids (so a reload finds running exports again) -----------------------------

function remembered(key) {
  try {
    const ids = JSON.parse(localStorage.getItem(key) || "[]");
    return Array.isArray(ids) ? ids.slice(0, 10) : [];
  } catch {
    return [];
  }
}

function remember(key, id) {
  try {
    localStorage.setItem(key, JSON.stringify([id, ...remembered(key).filter((x) => x !== id)].slice(0, 10)));
  } catch {
    // storage full or disabled: the export still works, it is just not remembered
  }
}

function forget(key, id) {
  try {
    localStorage.setItem(key, JSON.stringify(remembered(key).filter((x) => x !== id)));
  } catch {
    // ignore
  }
}

const EXPORTS_KEY = "clipforge.exports.";
const BATCHES_KEY = "clipforge.batches.";

export const rememberedExports = (clipId) => remembered(EXPORTS_KEY + clipId);
export const rememberExport = (clipId, id) => remember(EXPORTS_KEY + clipId, id);
export const forgetExport = (clipId, id) => forget(EXPORTS_KEY + clipId, id);

// --- one export -----------------------------------------------------------------------------

function follow({ fetchOnce, isDone, signature, render, status, result }) {
  const keepFollowing = () =>
    poll({
      fetchOnce,
      isDone,
      signature,
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

export function exportRow(initial) {
  const quality = initial.quality ? ` · ${capitalise(initial.quality)}` : "";
  const bar = progressBar(`Export ${initial.aspect_ratio} ${initial.caption_style} progress`);
  const label = h("span", { class: "export-label" }, `${initial.aspect_ratio} · ${capitalise(initial.caption_style)}${quality}`);
  const status = h("span", { class: "export-status muted", role: "status", "aria-live": "polite" });
  const result = h("div", { class: "export-result" });
  const row = h("div", { class: "export-row" }, h("div", { class: "export-line" }, label, status), bar, result);

  let announced = "";
  function render(exp) {
    const pct = exp.status === "ready" ? 100 : clampPercent(exp.progress);
    const tone = exp.status === "ready" ? "ok" : exp.status === "failed" ? "bad" : "busy";
    setProgress(bar, pct, { tone, text: `${statusLabel(exp.status)}, ${pct}%` });
    status.textContent =
      exp.status === "ready" ? "Ready" : exp.status === "failed" ? "Failed" : `${statusLabel(exp.status)} ${pct}%`;
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
          exp.srt_url ? h("a", { class: "btn btn-ghost", href: exp.srt_url, download: "" }, "SRT") : null,
          exp.vtt_url ? h("a", { class: "btn btn-ghost", href: exp.vtt_url, download: "" }, "VTT") : null,
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
    follow({ fetchOnce: () => api.getExport(initial.id), isDone: isExportTerminal, signature: exportSignature, render, status, result });
  }
  return row;
}

// --- a batch: every clip × every chosen ratio -------------------------------------------------

const BATCH_DONE = new Set(["ready", "partial", "failed"]);
const batchSignature = (b) => (b ? JSON.stringify([b.status, b.progress, b.ready, b.failed]) : "");

export function batchRow(initial) {
  const bar = progressBar("Batch export progress", { size: "lg" });
  const status = h("span", { class: "export-status muted", role: "status", "aria-live": "polite" });
  const result = h("div", { class: "export-result" });
  const label = h("span", { class: "export-label" }, `${initial.total} export${initial.total === 1 ? "" : "s"}`);
  const row = h("div", { class: "export-row batch-row" }, h("div", { class: "export-line" }, label, status), bar, result);

  function render(batch) {
    const done = BATCH_DONE.has(batch.status);
    const pct = done ? 100 : clampPercent(batch.progress);
    const tone = batch.status === "ready" ? "ok" : batch.status === "failed" ? "bad" : done ? "warn" : "busy";
    setProgress(bar, pct, { tone, text: `${batch.ready} of ${batch.total} ready, ${pct}%` });
    const failed = batch.failed ? `, ${batch.failed} failed` : "";
    status.textContent = done ? `${batch.ready} of ${batch.total} ready${failed}` : `Rendering ${batch.ready}/${batch.total}${failed} · ${pct}%`;
    if (done) {
      const failures = batch.items.filter((x) => x.status === "failed");
      result.replaceChildren(
        batch.zip_url && batch.ready
          ? h("a", { class: "btn btn-primary", href: batch.zip_url, download: "" }, icon("download"), `Download ZIP (${batch.ready})`)
          : null,
        failures.length
          ? h("ul", { class: "notice notice-bad batch-failures", role: "alert" },
              failures.map((x) => h("li", {}, `${x.aspect_ratio}: ${x.error || "the render failed"}`)))
          : null,
      );
    }
  }

  render(initial);
  if (!BATCH_DONE.has(initial.status)) {
    follow({ fetchOnce: () => api.getBatch(initial.id), isDone: (b) => Boolean(b) && BATCH_DONE.has(b.status), signature: batchSignature, render, status, result });
  }
  return row;
}

/** "Export all clips" panel: one request renders every clip in every chosen ratio. */
export function batchPanel(videoId) {
  const rows = h("div", { class: "exports" });
  const error = h("p", { class: "notice notice-bad export-error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "btn btn-primary" }, icon("download"), "Export all clips");
  const form = h("form", { class: "export-form batch-form", "aria-label": "Export all clips" },
    ratioBoxes(),
    stylePicker(`batch-style-${videoId}`),
    qualitySelect(`batch-quality-${videoId}`),
    reframeSelect(`batch-reframe-${videoId}`),
    brandBox(`batch-brand-${videoId}`),
    h("div", { class: "field field-action" }, button),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    say(error, "");
    const ask = readExportForm(form);
    if (!ask.ok) {
      say(error, ask.reason);
      return;
    }
    button.disabled = true;
    try {
      const batch = await api.createBatch(videoId, { aspect_ratios: ask.ratios, ...ask.body });
      remember(BATCHES_KEY + videoId, batch.id);
      rows.prepend(batchRow(batch));
    } catch (err) {
      say(error, `The batch could not start: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  for (const batchId of remembered(BATCHES_KEY + videoId)) {
    api.getBatch(batchId).then(
      (batch) => rows.append(batchRow(batch)),
      (err) => { if (err.fatal) forget(BATCHES_KEY + videoId, batchId); },
    );
  }
  return h("details", { class: "card batch-panel" },
    h("summary", {}, h("strong", {}, "Export all clips at once"), h("span", { class: "muted" }, " · every clip in every chosen ratio, one ZIP")),
    form,
    error,
    rows,
  );
}
