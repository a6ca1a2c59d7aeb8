// Unit tests for the dashboard's session rules: node --test tests/web/
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  CSRF_HEADER,
  CSRF_MESSAGE,
  isUnsafeMethod,
  loginUrl,
  sessionProblem,
  withCsrf,
} from "../../clipforge/web/static/session.js";

describe("withCsrf", () => {
  it("adds the token to unsafe methods only", () => {
    for (const method of ["POST", "put", "PATCH", "DELETE"]) {
      assert.deepEqual(withCsrf({ Accept: "application/json" }, method, "tok"), {
        Accept: "application/json",
        [CSRF_HEADER]: "tok",
      });
    }
    for (const method of ["GET", "head", "OPTIONS", undefined]) {
      assert.deepEqual(withCsrf({ Accept: "application/json" }, method, "tok"), {
        Accept: "application/json",
      });
    }
  });

  it("sends nothing when the page has no token (API key or single-user pages)", () => {
    assert.deepEqual(withCsrf({}, "POST", null), {});
    assert.deepEqual(withCsrf(undefined, "POST", ""), {});
  });

  it("does not mutate the headers it was given", () => {
    const headers = { Accept: "application/json" };
    withCsrf(headers, "POST", "tok");
    assert.deepEqual(headers, { Accept: "application/json" });
  });

  it("names the header the server checks", () => {
    assert.equal(CSRF_HEADER.toLowerCase(), "x-csrf-token");
    assert.equal(isUnsafeMethod("post"), true);
    assert.equal(isUnsafeMethod("GET"), false);
  });
});

describe("loginUrl", () => {
  it("comes back to the current page, query included", () => {
    assert.equal(loginUrl("/videos/abc", "?x=1"), "/login?next=%2Fvideos%2Fabc%3Fx%3D1");
    assert.equal(loginUrl("/"), "/login?next=%2F");
  });

  it("never names another site", () => {
    assert.equal(loginUrl("//evil.com/x"), "/login?next=%2F");
    assert.equal(loginUrl("https://evil.com"), "/login?next=%2F");
    assert.equal(loginUrl(undefined), "/login?next=%2F");
  });
});

describe("sessionProblem", () => {
  it("sends a 401 to sign-in and calls a 403 csrf a stale session", () => {
    assert.equal(sessionProblem(401, "unauthorized"), "signin");
    assert.equal(sessionProblem(403, "csrf"), "csrf");
    assert.match(CSRF_MESSAGE, /session changed; reload the page/);
  });

  it("leaves every other failure alone", () => {
    assert.equal(sessionProblem(403, "forbidden"), null);
    assert.equal(sessionProblem(400, "csrf"), null);
    assert.equal(sessionProblem(404, "not_found"), null);
    assert.equal(sessionProblem(0, "network"), null);
  });
});
