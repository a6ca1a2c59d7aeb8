// "/system" — dependency health and queue counts, refreshed every few seconds.

import { api, getHealth } from "./api.js";
import { h, icon, say } from "./dom.js";
import { capitalise } from "./format.js";

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);
const DEP_LABELS = { database: "Database", redis: "Redis", storage: "Storage" };
const OVERALL = {
  ok: ["ok", "All systems operational"],
  degraded: ["warn", "Degraded — some parts are down"],
  down: ["bad", "Down — the service cannot work right now"],
};
const COLUMNS = ["waiting", "active", "completed", "failed", "delayed", "paused"];

let lastOverall = "";

function renderHealth(health) {
  const [tone, text] = OVERALL[health.status] || ["warn", capitalise(health.status)];
  const overall = $("overall");
  overall.className = `overall-health tone-${tone}`;
  if (text !== lastOverall) {
    lastOverall = text;
    overall.replaceChildren(icon(tone === "ok" ? "check" : "alert"), h("span", {}, text));
  }
  const deps = Object.entries(health.checks || {});
  $("deps").replaceChildren(
    ...deps.map(([name, check]) =>
      h("li", { class: `card dep dep-${check.status}` },
        h("div", { class: "dep-head" },
          h("span", { class: "dep-name" }, DEP_LABELS[name] || capitalise(name)),
          h("span", { class: `badge badge-${check.status === "up" ? "ready" : "failed"}` },
            h("span", { class: "badge-dot", "aria-hidden": "true" }), check.status === "up" ? "Up" : "Down"),
        ),
        h("p", { class: "dep-latency" },
          h("span", { class: "big-number" }, Number(check.latency_ms).toFixed(check.latency_ms < 10 ? 1 : 0)),
          h("span", { class: "muted" }, " ms latency"),
        ),
        check.error ? h("p", { class: "dep-error" }, check.error) : null,
      ),
    ),
  );
}

function renderQueues(metrics) {
  const rows = metrics.queues || [];
  $("queues-body").replaceChildren(
    ...(rows.length
      ? rows.map((q) =>
          h("tr", {},
            h("th", { scope: "row" }, capitalise(q.queue)),
            COLUMNS.map((c) =>
              h("td", { class: `num ${c === "failed" && q[c] > 0 ? "is-bad" : ""} ${c === "active" && q[c] > 0 ? "is-busy" : ""}`.trim(), "data-label": capitalise(c) }, String(q[c] ?? 0)),
            ),
          ),
        )
      : [h("tr", {}, h("td", { colspan: "7", class: "empty" }, "No queues reported."))]),
  );
}

async function refresh() {
  const [health, queues] = await Promise.allSettled([getHealth(), api.queueMetrics()]);
  const problems = [];
  if (health.status === "fulfilled") renderHealth(health.value);
  else problems.push(`Health: ${health.reason.message}`);
  if (queues.status === "fulfilled") renderQueues(queues.value);
  else problems.push(`Queues: ${queues.reason.message}`);
  say($("system-error"), problems.join(" · "));
  $("updated").textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_MS / 1000} s`;
  setTimeout(refresh, document.hidden ? REFRESH_MS * 3 : REFRESH_MS);
}

refresh();
