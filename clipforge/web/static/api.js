// Talking to the JSON API. Errors always arrive as {"error": {"code", "message", "details"}}.

import { isFatalStatus } from "./polling.js";
import { uploadErrorMessage } from "./format.js";
import { readConfig } from "./dom.js";
import { toQuery } from "./detect_options.js";
import { CSRF_HEADER, CSRF_MESSAGE, loginUrl, sessionProblem, withCsrf } from "./session.js";

const config = readConfig();
let leaving = false;

/**
 * Session-level handling shared by fetch and XHR calls: a 401 sends the person to sign in
 * (once, then back here); a stale CSRF token gets a message that says what to do.
 */
function checkSession(err) {
  const problem = sessionProblem(err.status, err.code);
  if (problem === "signin") {
    err.message = "Your session has ended. Taking you to sign in…";
    if (!leaving) {
      leaving = true;
      window.location.assign(loginUrl(window.location.pathname, window.location.search));
    }
  } else if (problem === "csrf") {
    err.message = CSRF_MESSAGE;
  }
  return err;
}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.fatal = isFatalStatus(status);
  }
}

function describeValidation(details) {
  if (!Array.isArray(details) || !details.length) return null;
  return details
    .map((d) => d && (d.msg || d.message))
    .filter(Boolean)
    .join("; ");
}

async function toError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  const err = (body && body.error) || {};
  const message =
    (response.status === 422 && describeValidation(err.details)) ||
    err.message ||
    `Request failed (HTTP ${response.status}).`;
  return new ApiError(response.status, err.code || "http_error", message, err.details);
}

async function request(url, init) {
  const method = (init && init.method) || "GET";
  const headers = withCsrf(init && init.headers, method, config.csrfToken);
  let response;
  try {
    response = await fetch(url, { cache: "no-cache", credentials: "same-origin", ...init, headers });
  } catch (cause) {
    const err = new ApiError(0, "network", "Could not reach the server. Retrying…");
    err.cause = cause;
    throw err;
  }
  if (!response.ok) throw checkSession(await toError(response));
  if (response.status === 204) return null;
  return response.json();
}

export function getJSON(url, init) {
  return request(url, { headers: { Accept: "application/json" }, ...init });
}

export function postJSON(url, body, init) {
  return request(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body ?? {}),
    ...init,
  });
}

export function patchJSON(url, body, init) {
  return request(url, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body ?? {}),
    ...init,
  });
}

export function putJSON(url, body, init) {
  return request(url, {
    method: "PUT",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body ?? {}),
    ...init,
  });
}

/** A multipart upload of one file in field "file" (small files: logos and fonts). */
export function sendFile(url, method, file) {
  const form = new FormData();
  form.append("file", file, file.name);
  return request(url, { method, headers: { Accept: "application/json" }, body: form });
}

/** GET /health answers 503 with the same body when something is down: read it either way. */
export async function getHealth() {
  let response;
  try {
    response = await fetch("/health", { cache: "no-cache", headers: { Accept: "application/json" } });
  } catch (cause) {
    const err = new ApiError(0, "network", "Could not reach the server.");
    err.cause = cause;
    throw err;
  }
  if (response.status === 200 || response.status === 503) {
    try {
      return await response.json();
    } catch {
      // fall through
    }
  }
  throw checkSession(await toError(response));
}

export const api = {
  listVideos: (limit, offset) => getJSON(`/v1/videos?limit=${limit}&offset=${offset}`),
  getVideo: (id) => getJSON(`/v1/videos/${encodeURIComponent(id)}`),
  retryVideo: (id) => postJSON(`/v1/videos/${encodeURIComponent(id)}/retry`, {}),
  importUrl: (url, detect, language) =>
    postJSON("/v1/videos/import", {
      url,
      ...(language ? { language } : {}),
      ...(detect && Object.keys(detect).length ? { detect } : {}),
    }),
  redetect: (id, detect) => postJSON(`/v1/videos/${encodeURIComponent(id)}/detect`, detect || {}),
  listClips: (id) => getJSON(`/v1/videos/${encodeURIComponent(id)}/clips`),
  trimClip: (clipId, start, end) =>
    patchJSON(`/v1/clips/${encodeURIComponent(clipId)}`, { start, end }),
  getTranscript: (id) => getJSON(`/v1/videos/${encodeURIComponent(id)}/transcript`),
  createExport: (clipId, body) =>
    postJSON(`/v1/clips/${encodeURIComponent(clipId)}/exports`, body),
  getExport: (id) => getJSON(`/v1/exports/${encodeURIComponent(id)}`),
  createBatch: (videoId, body) =>
    postJSON(`/v1/videos/${encodeURIComponent(videoId)}/exports`, body),
  getBatch: (id) => getJSON(`/v1/batches/${encodeURIComponent(id)}`),
  queueMetrics: () => getJSON("/v1/queues/metrics"),
  getBrandKit: () => getJSON("/v1/brand-kit"),
  saveBrandKit: (body) => putJSON("/v1/brand-kit", body),
  uploadLogo: (file) => sendFile("/v1/brand-kit/logo", "PUT", file),
  deleteLogo: () => request("/v1/brand-kit/logo", { method: "DELETE" }),
  listFonts: () => getJSON("/v1/fonts"),
  uploadFont: (file) => sendFile("/v1/fonts", "POST", file),
  transcriptUrl: (id, format) =>
    `/v1/videos/${encodeURIComponent(id)}/transcript?format=${encodeURIComponent(format)}`,
};

/**
 * Upload a file with XMLHttpRequest (fetch has no upload progress).
 * Returns {promise, abort}; onProgress(loaded, total) fires as bytes go out.
 */
export function uploadVideo(file, { onProgress, maxBytes, detect, language } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", `/v1/videos${toQuery({ ...detect, ...(language ? { language } : {}) })}`);
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    if (config.csrfToken) xhr.setRequestHeader(CSRF_HEADER, config.csrfToken);
    xhr.upload.addEventListener("progress", (e) => {
      if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status === 202 || xhr.status === 200) {
        resolve(body);
        return;
      }
      const err = body && body.error;
      reject(
        checkSession(
          new ApiError(
            xhr.status,
            (err && err.code) || "upload_failed",
            uploadErrorMessage(xhr.status, body, maxBytes),
          ),
        ),
      );
    });
    xhr.addEventListener("error", () => {
      reject(new ApiError(0, "network", uploadErrorMessage(0, null, maxBytes)));
    });
    xhr.addEventListener("abort", () => {
      reject(new ApiError(0, "aborted", "Upload cancelled."));
    });
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
