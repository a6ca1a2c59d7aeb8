// Session rules the API client follows. Pure ES module (no DOM), so node can test it.

export const CSRF_HEADER = "X-CSRF-Token";
export const CSRF_MESSAGE = "Your session changed; reload the page.";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** True for methods that change something: those must carry the session's CSRF token. */
export function isUnsafeMethod(method) {
  return !SAFE_METHODS.has(String(method || "GET").toUpperCase());
}

/**
 * Headers for one request: `headers` plus the CSRF token when the method is unsafe and the
 * page has a token (API-key and single-user pages have none). Never mutates `headers`.
 */
export function withCsrf(headers, method, token) {
  const out = { ...(headers || {}) };
  if (token && isUnsafeMethod(method)) out[CSRF_HEADER] = token;
  return out;
}

/** Where to send someone whose session is gone: the sign-in page, back here afterwards. */
export function loginUrl(pathname, search = "") {
  let path = typeof pathname === "string" && pathname.startsWith("/") ? pathname : "/";
  // Only ever a local path: "//host" would name another site.
  if (path.startsWith("//")) path = "/";
  return `/login?next=${encodeURIComponent(path + (search || ""))}`;
}

/**
 * What an API failure means for the session:
 *   "signin" (401: nobody is signed in any more), "csrf" (403 csrf: the token is stale), or null.
 */
export function sessionProblem(status, code) {
  if (status === 401) return "signin";
  if (status === 403 && code === "csrf") return "csrf";
  return null;
}
