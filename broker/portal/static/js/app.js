// The portal's shell: sign-in, the header with the account's credits, and the views by
// URL hash (#/models, #/models/<id>, #/account). Any error nobody caught still reaches a
// person as a sentence, never as a stack trace.
import { accountPage } from "./account.js";
import { get, whenSignedOut } from "./api.js";
import { h, replace } from "./dom.js";
import { BROKEN_PAGE, human } from "./messages.js";
import { modelPage } from "./model.js";
import { modelsPage } from "./models.js";
import { renewCookie, signIn, signOut, token } from "./session.js";

const main = document.getElementById("main");
const notice = document.getElementById("notice");
const credits = document.getElementById("credits");
const nav = document.getElementById("nav");
let account = null;
let view = null;
let config = null;

function say(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

window.addEventListener("error", () => say(BROKEN_PAGE));
window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  say(human(event.reason));
});

async function refreshAccount() {
  try {
    account = (await get("/v1/account")).data;
    credits.textContent = `${account.credits} credit${account.credits === 1 ? "" : "s"}`;
  } catch (err) {
    credits.textContent = "";
  }
}

function signInPage(reason) {
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", placeholder: "dxgl_sk_…", required: true, size: 48 });
  const problem = h("p", { class: "form-error", id: "signin-error", role: "alert" }, reason || "");
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "signin", id: "signin" },
    h("h2", {}, "Sign in"),
    h("p", {}, "Paste an API token of your farm account (", h("code", {}, "meshfarm admin create-token"), " prints one). It is kept in this tab only."),
    h("label", { for: "token" }, "API token"),
    input,
    button,
    problem,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    problem.textContent = "";
    try {
      await signIn(input.value);
      await start();
    } catch (err) {
      problem.textContent = human(err);
    } finally {
      button.disabled = false;
    }
  });
  return { el: form, stop() {} };
}

function show(next) {
  view?.stop();
  view = next;
  replace(main, view.el);
}

function route() {
  say("");
  if (!token()) {
    nav.hidden = true;
    show(signInPage());
    return;
  }
  nav.hidden = false;
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  const deps = { config, account: () => account, refreshAccount };
  if (parts[0] === "models" && parts[1]) show(modelPage(decodeURIComponent(parts[1]), deps));
  else if (parts[0] === "account") show(accountPage(deps));
  else show(modelsPage(deps));
}

async function start() {
  await refreshAccount();
  route();
}

whenSignedOut(async (error) => {
  await signOut();
  account = null;
  credits.textContent = "";
  nav.hidden = true;
  show(signInPage(`${error.message} Sign in again.`));
});

document.getElementById("sign-out").addEventListener("click", async () => {
  await signOut();
  location.hash = "#/";
  route();
});
window.addEventListener("hashchange", route);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") renewCookie().catch(() => undefined);
});

try {
  config = await (await fetch("/portal/config.json")).json();
  if (token()) {
    await renewCookie().catch(() => undefined); // a reload in a browser that lost its cookie
    await start();
  } else {
    route();
  }
} catch {
  say("The farm could not be reached. Reload the page to try again.");
}
