// Unit tests for the brand kit form conversions: node --test tests/web/
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { brandKitBody, brandKitFields } from "../../clipforge/web/static/brand_form.js";

const KIT = {
  logo_position: "bottom-left",
  logo_scale: 0.2,
  logo_opacity: 0.75,
  primary_colour: "#FFD400",
  highlight_colour: null,
  outline_colour: "#000000",
  font: { id: "f1" },
  intro: { text: "Episode 12", seconds: 1.5, background: "#102030" },
  outro: null,
};

describe("brand kit form", () => {
  it("round-trips a kit through the form", () => {
    const parsed = brandKitBody(brandKitFields(KIT));
    assert.equal(parsed.ok, true);
    assert.deepEqual(parsed.body, {
      logo_position: "bottom-left",
      logo_scale: 0.2,
      logo_opacity: 0.75,
      font: "f1",
      primary_colour: "#ffd400",
      highlight_colour: null,
      outline_colour: "#000000",
      intro: { text: "Episode 12", seconds: 1.5, background: "#102030" },
      outro: null,
    });
  });

  it("refuses out-of-range values with a reason", () => {
    const fields = brandKitFields(KIT);
    for (const [name, value] of [["logo_scale", "80"], ["logo_opacity", "0"], ["intro-seconds", "30"]]) {
      const r = brandKitBody({ ...fields, [name]: value });
      assert.equal(r.ok, false, name);
      assert.match(r.reason, /between/);
    }
  });

  it("an empty card text means no card", () => {
    const r = brandKitBody({ ...brandKitFields(KIT), "intro-text": "  " });
    assert.equal(r.body.intro, null);
  });
});
