// Small DOM helpers: an element builder, progress bars, inline icons, page config.

const SVG_NS = "http://www.w3.org/2000/svg";

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const ICONS = {
  check: "M5 12.5l4.5 4.5L19 7.5",
  x: "M6 6l12 12M18 6L6 18",
  alert: "M12 8v5m0 3.5v.5M10.3 3.9L2.4 18a2 2 0 001.7 3h15.8a2 2 0 001.7-3L13.7 3.9a2 2 0 00-3.4 0z",
  clock: "M12 7v5l3 2M21 12a9 9 0 11-18 0 9 9 0 0118 0z",
  upload: "M12 16V4m0 0l-5 5m5-5l5 5M4 17v2a2 2 0 002 2h12a2 2 0 002-2v-2",
  download: "M12 4v12m0 0l-5-5m5 5l5-5M4 17v2a2 2 0 002 2h12a2 2 0 002-2v-2",
  retry: "M4 4v6h6M20 20v-6h-6M5.6 15a8 8 0 0013.1 2.3L20 14M4 10l1.3-3.3A8 8 0 0118.4 9",
  link: "M10 14a4 4 0 005.7 0l3-3a4 4 0 00-5.7-5.7l-1 1M14 10a4 4 0 00-5.7 0l-3 3a4 4 0 005.7 5.7l1-1",
  spinner: "M12 3a9 9 0 109 9",
  film: "M4 4h16v16H4zM8 4v16M16 4v16M4 8h4M4 12h4M4 16h4M16 8h4M16 12h4M16 16h4",
  dot: "M12 12m-4 0a4 4 0 108 0a4 4 0 10-8 0",
};

export function icon(name, extraClass = "") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `icon icon-${name} ${extraClass}`.trim());
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name] || ICONS.dot);
  svg.append(path);
  return svg;
}

/** A labelled progress bar (role=progressbar); update it with setProgress. */
export function progressBar(label, { size = "", tone = "" } = {}) {
  const fill = h("div", { class: "bar-fill" });
  const bar = h(
    "div",
    {
      class: `bar ${size ? `bar-${size}` : ""} ${tone ? `tone-${tone}` : ""}`.trim(),
      role: "progressbar",
      "aria-label": label,
      "aria-valuemin": "0",
      "aria-valuemax": "100",
      "aria-valuenow": "0",
    },
    fill,
  );
  return bar;
}

export function setProgress(bar, percent, { tone, indeterminate = false, text } = {}) {
  const value = Math.max(0, Math.min(100, Math.round(Number(percent) || 0)));
  bar.setAttribute("aria-valuenow", String(value));
  if (text) bar.setAttribute("aria-valuetext", text);
  else bar.removeAttribute("aria-valuetext");
  bar.classList.toggle("is-indeterminate", indeterminate);
  for (const t of ["ok", "bad", "warn", "busy"]) bar.classList.toggle(`tone-${t}`, tone === t);
  bar.firstElementChild.style.width = `${value}%`;
}

export function readConfig() {
  const el = document.getElementById("page-config");
  try {
    return el ? JSON.parse(el.textContent || "{}") : {};
  } catch {
    return {};
  }
}

export function badge(status, label) {
  return h("span", { class: `badge badge-${status}` }, h("span", { class: "badge-dot", "aria-hidden": "true" }), label);
}

/** Put a message in a live region (role=status or alert) and show it. */
export function say(region, message) {
  if (!region) return;
  region.textContent = message || "";
  region.hidden = !message;
}
