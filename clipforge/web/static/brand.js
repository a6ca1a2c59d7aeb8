// "/brand" — the signed-in user's brand kit: logo, colours, font, intro and outro cards.

import { api } from "./api.js";
import { h, say } from "./dom.js";
import { brandKitBody, brandKitFields } from "./brand_form.js";
import { formatBytes } from "./format.js";

const $ = (id) => document.getElementById(id);
const form = $("brand-form");
const error = $("brand-error");

function fill(kit) {
  for (const [name, value] of Object.entries(brandKitFields(kit))) {
    const el = form.elements.namedItem(name);
    if (!el) continue;
    if (el.type === "checkbox") el.checked = Boolean(value);
    else el.value = value;
  }
  $("brand-state").textContent = kit.configured ? "Saved" : "Not set up yet";
  showLogo(kit.logo);
}

function showLogo(logo) {
  $("logo-preview").replaceChildren(
    logo
      ? h("img", { src: `${logo.url}${logo.url.includes("?") ? "&" : "?"}v=${Date.now()}`, alt: "Your logo", width: String(logo.width), height: String(logo.height) })
      : h("span", { class: "muted" }, "No logo yet."),
  );
  $("logo-remove").hidden = !logo;
}

async function loadFonts(selected) {
  const { items } = await api.listFonts();
  const select = $("font");
  select.replaceChildren(
    h("option", { value: "" }, "The caption style's own font"),
    ...items.map((f) => h("option", { value: f.id, selected: f.id === selected }, `${f.full_name || f.family}${f.builtin ? " (shipped)" : ""}`)),
  );
}

async function load() {
  try {
    const kit = await api.getBrandKit();
    await loadFonts(kit.font ? kit.font.id : "");
    fill(kit);
  } catch (err) {
    say(error, `Could not load the brand kit: ${err.message}`);
  }
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  say(error, "");
  const fields = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    fields[el.name] = el.type === "checkbox" ? el.checked : el.value;
  }
  const parsed = brandKitBody(fields);
  if (!parsed.ok) {
    say(error, parsed.reason);
    return;
  }
  const button = $("brand-save");
  button.disabled = true;
  $("brand-state").textContent = "Saving…";
  try {
    fill(await api.saveBrandKit(parsed.body));
  } catch (err) {
    $("brand-state").textContent = "";
    say(error, `Could not save: ${err.message}`);
  } finally {
    button.disabled = false;
  }
});

$("logo-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  say(error, "");
  $("logo-status").textContent = `Uploading ${file.name} (${formatBytes(file.size)})…`;
  try {
    const kit = await api.uploadLogo(file);
    fill(kit);
    $("logo-status").textContent = "Logo saved.";
  } catch (err) {
    $("logo-status").textContent = "";
    say(error, `The logo was not saved: ${err.message}`);
  }
});

$("logo-remove").addEventListener("click", async () => {
  say(error, "");
  try {
    fill(await api.deleteLogo());
    $("logo-status").textContent = "Logo removed.";
  } catch (err) {
    say(error, `Could not remove the logo: ${err.message}`);
  }
});

$("font-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  say(error, "");
  $("font-status").textContent = `Uploading ${file.name}…`;
  try {
    const font = await api.uploadFont(file);
    await loadFonts(font.id);
    $("font-status").textContent = `${font.full_name || font.family} added and selected; save to use it.`;
  } catch (err) {
    $("font-status").textContent = "";
    say(error, `The font was not added: ${err.message}`);
  }
});

load();
