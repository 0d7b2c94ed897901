// The account: its credits and its ledger (grants, and each render's reserve, charge or
// refund), newest first, a page at a time.
import { get } from "./api.js";
import { h, replace, when } from "./dom.js";
import { human } from "./messages.js";

const KINDS = {
  signup: "sign-up credits",
  grant: "credits granted",
  reserve: "render ordered",
  charge: "render done (kept)",
  refund: "render failed (refunded)",
};
const PAGE = 50;

export function accountPage({ account }) {
  const rows = h("tbody");
  const note = h("p", { class: "note", role: "status" });
  const more = h("button", { type: "button", hidden: true }, "Show older entries");
  let offset = 0;

  async function next() {
    try {
      const body = await get(`/portal/api/ledger?limit=${PAGE}&offset=${offset}`);
      for (const entry of body.data) {
        rows.append(
          h(
            "tr",
            {},
            h("td", {}, when(entry.createdAt)),
            h("td", {}, KINDS[entry.kind] || entry.kind, entry.jobKind && entry.jobKind !== "render" ? ` (${entry.jobKind})` : ""),
            h("td", { class: entry.delta < 0 ? "debit" : "credit" }, entry.delta > 0 ? `+${entry.delta}` : String(entry.delta)),
            h("td", {}, entry.modelId ? h("a", { href: `#/models/${entry.modelId}` }, entry.renderId) : entry.note || ""),
          ),
        );
      }
      offset += body.data.length;
      more.hidden = offset >= body.meta.total;
      note.textContent = body.meta.total ? "" : "No credit movements yet.";
    } catch (err) {
      note.textContent = human(err);
    }
  }

  more.addEventListener("click", next);
  next();
  const a = account();
  return {
    el: h(
      "section",
      { class: "account-page", id: "account-page" },
      h("h2", {}, "Account"),
      h("p", {}, a ? `${a.email} · ` : "", h("strong", { id: "account-credits" }, a ? `${a.credits} credits` : "")),
      h("h3", {}, "Ledger"),
      h("table", { class: "ledger", id: "ledger" }, h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "What"), h("th", {}, "Credits"), h("th", {}, "Render"))), rows),
      more,
      note,
    ),
    stop() {},
  };
}
