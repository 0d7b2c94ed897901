// One model's page: what it is, its tags, its 3-D preview, its renders followed live, the
// chosen render's player and downloads, and the form that orders another render.
import { get, patch, post } from "./api.js";
import { bytes, h, replace } from "./dom.js";
import { human } from "./messages.js";
import { preview } from "./preview.js";
import { FINISHED, renderDetail, renderRow, update } from "./renders.js";
import { settingsForm } from "./settings.js";

const POLL_MS = 2000;

async function overlayChoices() {
  const options = async (layer) => {
    const body = await get(`/v1/overlays?layer=${layer}&limit=100`);
    return body.data.map((o) => [o.id, o.system ? `${o.name} (shared)` : o.name]);
  };
  const [backgrounds, environments] = await Promise.all([
    options("background").catch(() => []),
    options("environment").catch(() => []),
  ]);
  return { bgImageId: backgrounds, environment: [["studio", "studio (built in)"], ...environments] };
}

function tagEditor(model) {
  const input = h("input", { type: "text", value: model.tags.join(", "), "aria-label": "Tags, separated by commas", id: "tags-input" });
  const note = h("span", { class: "note", role: "status" });
  const form = h("form", { class: "tags-form" }, input, h("button", { type: "submit" }, "Save tags"), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const tags = input.value.split(",").map((t) => t.trim()).filter(Boolean);
    try {
      const body = await patch(`/v1/models/${model.id}`, { tags });
      input.value = body.data.tags.join(", ");
      note.textContent = "Saved.";
    } catch (err) {
      note.textContent = human(err);
    }
  });
  return form;
}

export function modelPage(modelId, { config, account, refreshAccount }) {
  const page = h("section", { class: "model-page", id: "model-page" }, h("p", {}, "Loading the model…"));
  const renders = new Map(); // id -> render object (the full one, with progress)
  const rows = new Map();
  let chosen = null;
  let timer = null;
  let stopped = false;
  const list = h("ul", { class: "renders", id: "renders" });
  const detail = h("div", { class: "detail-slot" });
  const previewSlot = h("div", { class: "preview-slot" });

  function choose(id) {
    chosen = id;
    for (const [rid, row] of rows) update(row, renders.get(rid), rid === chosen, choose);
    showDetail();
  }

  function showDetail() {
    const render = renders.get(chosen);
    replace(detail, render ? renderDetail(render, { dismiss: () => dismiss(render.id) }) : null);
  }

  async function dismiss(id) {
    try {
      put((await patch(`/v1/renders/${id}/dismiss`)).data);
    } catch (err) {
      replace(detail, h("p", { class: "error-text" }, human(err)));
    }
  }

  function put(render) {
    const before = renders.get(render.id);
    renders.set(render.id, render);
    let row = rows.get(render.id);
    if (!row) {
      row = renderRow(render, render.id === chosen, choose);
      rows.set(render.id, row);
      list.prepend(row);
    } else {
      update(row, render, render.id === chosen, choose);
    }
    if (render.id === chosen && (!before || before.status !== render.status)) showDetail();
    if (before && !FINISHED.has(before.status) && FINISHED.has(render.status)) refreshAccount();
  }

  async function poll() {
    if (stopped) return;
    const running = [...renders.values()].filter((r) => !FINISHED.has(r.status));
    try {
      const fresh = await Promise.all(running.map((r) => get(`/v1/renders/${r.id}`)));
      for (const body of fresh) put(body.data);
    } catch {
      // One missed poll is retried at the next tick; a lost token signs the page out.
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  async function load() {
    let model;
    let all;
    try {
      model = (await get(`/v1/models/${modelId}`)).data;
      all = (await get(`/v1/renders?model=${modelId}&limit=100`)).data;
    } catch (err) {
      replace(page, h("p", { class: "error-text", role: "alert" }, human(err)), h("a", { href: "#/models" }, "Back to the models"));
      return;
    }
    // Oldest first, the free preview before the render ordered with it (same second).
    all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || b.is_system_preview - a.is_system_preview);
    for (const render of all) put(render);
    const ordered = all.filter((r) => !r.is_system_preview);
    chosen = (ordered.length ? ordered : all).at(-1)?.id ?? null;
    choose(chosen);
    const choices = await overlayChoices();
    const form = settingsForm(config, {
      isAdmin: Boolean(account()?.isAdmin),
      choices,
      quote: async (settings) => {
        const q = (await post("/v1/quote", { renders: [{ renderSettings: settings }] })).data;
        const costs = `This render costs ${q.creditsRequired} credit${q.creditsRequired === 1 ? "" : "s"}; the account has ${q.creditsAvailable}.`;
        return q.sufficient ? costs : `${costs} That is not enough.`;
      },
      submit: async (settings) => {
        const render = (await post("/v1/renders", { modelId, renderSettings: settings })).data;
        put(render);
        choose(render.id);
        refreshAccount();
      },
    });
    const openPreview = h("button", { type: "button", id: "open-preview" }, "Open 3-D preview");
    openPreview.addEventListener("click", () => {
      openPreview.remove();
      replace(previewSlot, preview(model));
    });
    replace(
      page,
      h("p", {}, h("a", { href: "#/models" }, "← All models")),
      h("h2", {}, model.title || model.originalName),
      h(
        "p",
        { class: "facts" },
        `${model.originalName} · ${bytes(model.fileSize)}`,
        model.sku ? ` · SKU ${model.sku}` : "",
        ` · `,
        h("a", { href: `/v1/models/${model.id}/file`, download: "" }, "download the model"),
      ),
      tagEditor(model),
      h("div", { class: "columns" },
        h("div", {}, h("h3", {}, "Renders"), list, detail),
        h("div", {}, h("h3", {}, "3-D preview"), openPreview, previewSlot),
      ),
      h("h3", {}, "New render"),
      form,
    );
    timer = setTimeout(poll, POLL_MS);
  }

  load();
  return {
    el: page,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
