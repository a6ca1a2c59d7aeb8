// The brand kit form ⇄ the API's body: pure conversions, unit-tested (tests/web/).

const COLOURS = ["primary_colour", "highlight_colour", "outline_colour"];

/** Form field strings → the PUT /v1/brand-kit body, or {ok: false, reason}. */
export function brandKitBody(fields) {
  const scale = Number(fields.logo_scale);
  const opacity = Number(fields.logo_opacity);
  if (!Number.isFinite(scale) || scale < 3 || scale > 50) {
    return { ok: false, reason: "Logo width must be between 3% and 50% of the frame." };
  }
  if (!Number.isFinite(opacity) || opacity < 5 || opacity > 100) {
    return { ok: false, reason: "Logo opacity must be between 5% and 100%." };
  }
  const body = {
    logo_position: fields.logo_position || "top-right",
    logo_scale: Math.round(scale) / 100,
    logo_opacity: Math.round(opacity) / 100,
    font: fields.font || null,
  };
  for (const name of COLOURS) body[name] = fields[`${name}-on`] ? fields[name] : null;
  for (const card of ["intro", "outro"]) {
    const text = String(fields[`${card}-text`] || "").trim();
    if (!text) {
      body[card] = null;
      continue;
    }
    const seconds = Number(fields[`${card}-seconds`]);
    if (!Number.isFinite(seconds) || seconds < 0.5 || seconds > 10) {
      return { ok: false, reason: `The ${card} card must last between 0.5 and 10 seconds.` };
    }
    body[card] = { text, seconds, background: fields[`${card}-background`] || "#000000" };
  }
  return { ok: true, body };
}

/** The API's kit → form field values (the inverse of brandKitBody). */
export function brandKitFields(kit) {
  const fields = {
    logo_position: kit.logo_position,
    logo_scale: String(Math.round(kit.logo_scale * 100)),
    logo_opacity: String(Math.round(kit.logo_opacity * 100)),
    font: kit.font ? kit.font.id : "",
  };
  for (const name of COLOURS) {
    fields[`${name}-on`] = Boolean(kit[name]);
    fields[name] = (kit[name] || "#ffffff").toLowerCase();
  }
  for (const card of ["intro", "outro"]) {
    const value = kit[card];
    fields[`${card}-text`] = value ? value.text : "";
    fields[`${card}-seconds`] = value ? String(value.seconds) : "2";
    fields[`${card}-background`] = value ? value.background.toLowerCase() : "#000000";
  }
  return fields;
}
