// The dx.gl API from the page: one place sends the token, reads the envelope and turns
// every failure into a FarmError whose message is a sentence (messages.js).
import { FarmError, OFFLINE, fromResponse } from "./messages.js";
import { token } from "./session.js";

let onSignedOut = () => undefined;

// The app's reaction to a token the farm no longer accepts (back to the sign-in form).
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

function headers(extra = {}) {
  const t = token();
  return t ? { Authorization: `Bearer ${t}`, ...extra } : extra;
}

async function settle(status, text) {
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (status >= 200 && status < 300) return body;
  const error = fromResponse(status, body);
  if (status === 401) onSignedOut(error);
  throw error;
}

export async function call(method, path, json) {
  const init = { method, headers: headers() };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new FarmError(OFFLINE);
  }
  return settle(response.status, await response.text());
}

export const get = (path) => call("GET", path);
export const post = (path, json) => call("POST", path, json);
export const patch = (path, json) => call("PATCH", path, json);

// A multipart upload with progress (fetch reports none for request bodies).
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => settle(xhr.status, xhr.responseText).then(resolve, reject));
    xhr.addEventListener("error", () => reject(new FarmError(OFFLINE)));
    xhr.addEventListener("abort", () => reject(new FarmError("The upload was cancelled.")));
    xhr.send(form);
  });
}
