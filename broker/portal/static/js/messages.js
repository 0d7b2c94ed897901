// Every error a person can meet, as a sentence. The API's own messages are written for
// people ("renderSettings.length: must be between 3 and 30 seconds") and are shown as they
// are; what is not (a proxy's HTML page, a body that is not the dx.gl envelope, a server
// fault) becomes a sentence chosen here, so no page ever shows JSON or a stack trace.

const BY_CODE = {
  unauthorized: "That token was not accepted: it may be mistyped, revoked or expired.",
  token_expired: "That token has expired. Create a new one and sign in again.",
  forbidden: "This account is suspended. Ask the farm's operator about it.",
  no_credits: "There are not enough credits left on this account for that.",
  file_too_large: "That file is too large for the farm.",
  payload_too_large: "That request is too large for the farm.",
  service_unavailable: "The farm is busy right now. Try again in a moment.",
  internal: "The farm ran into a problem on its side. Try again in a moment.",
};

const BY_STATUS = {
  400: "The farm could not accept that request.",
  401: BY_CODE.unauthorized,
  403: "This token is not allowed to do that.",
  404: "That could not be found; it may have been deleted.",
  408: "The farm took too long to answer. Try again.",
  413: BY_CODE.file_too_large,
  429: "Too many requests at once. Wait a moment and try again.",
};

const OFFLINE = "The farm could not be reached. Check the connection and try again.";
const BROKEN_PAGE = "Something went wrong in this page. Reload it to try again.";

// Text that looks like data or a program's dump is never shown to a person.
function presentable(text) {
  if (typeof text !== "string") return false;
  const t = text.trim();
  if (!t || t.length > 600) return false;
  if (t.startsWith("{") || t.startsWith("[") || t.startsWith("<")) return false;
  return !/Traceback|\bat [\w$.]+ \(|File "|Exception:|\berror":/.test(t);
}

export class FarmError extends Error {
  constructor(sentence, { status = 0, code = "" } = {}) {
    super(sentence);
    this.name = "FarmError";
    this.status = status;
    this.code = code;
  }
}

// The sentence for a failed response: its body is read as the dx.gl envelope when it is one.
export function fromResponse(status, body) {
  const error = body && typeof body === "object" ? body.error : null;
  const code = error && typeof error.code === "string" ? error.code : "";
  if (status >= 500) {
    return new FarmError(BY_CODE[code] || BY_CODE.internal, { status, code });
  }
  if (BY_CODE[code] && ["unauthorized", "token_expired", "forbidden"].includes(code)) {
    return new FarmError(BY_CODE[code], { status, code });
  }
  const message = error ? error.message : null;
  if (presentable(message)) {
    return new FarmError(sentence(message), { status, code });
  }
  return new FarmError(BY_CODE[code] || BY_STATUS[status] || BY_STATUS[400], { status, code });
}

function sentence(text) {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

// Whatever was thrown, the sentence to show.
export function human(err) {
  return err instanceof FarmError ? err.message : BROKEN_PAGE;
}

// A text from the farm (a render's errorMessage) as a sentence, or `fallback` when it is not one.
export function told(text, fallback) {
  return presentable(text) ? sentence(text) : fallback;
}

export { OFFLINE, BROKEN_PAGE };
