// The token lives in this tab's sessionStorage (gone when the tab closes); signing in also
// asks the farm for the session cookie that lets the page's <video>, <img>,
// <model-viewer> and download links reach the file routes (broker/portal/media_cookie.py).
import { FarmError, OFFLINE, fromResponse } from "./messages.js";

const KEY = "meshfarm.token";

export function token() {
  return sessionStorage.getItem(KEY);
}

export async function signIn(raw) {
  const candidate = raw.trim();
  if (!candidate) throw new FarmError("Paste your API token to sign in.");
  if (!candidate.startsWith("dxgl_sk_")) {
    throw new FarmError("That does not look like a farm API token: tokens start with dxgl_sk_.");
  }
  await setCookie(candidate);
  sessionStorage.setItem(KEY, candidate);
}

// The cookie is the browser's, shared by its tabs: a tab signed in with another token
// takes it back whenever it is shown again, so its players load its own account's files.
export async function renewCookie() {
  const current = token();
  if (current) await setCookie(current);
}

async function setCookie(candidate) {
  let response;
  try {
    response = await fetch("/portal/session", {
      method: "POST",
      headers: { Authorization: `Bearer ${candidate}` },
    });
  } catch {
    throw new FarmError(OFFLINE);
  }
  if (!response.ok) throw fromResponse(response.status, await response.json().catch(() => null));
}

export async function signOut() {
  sessionStorage.removeItem(KEY);
  await fetch("/portal/session", { method: "DELETE" }).catch(() => undefined);
}
