// The account's models as a grid of cards: a poster (from a finished render), the name and
// the tags; a tag filter as the API offers it (comma-separated, any of them).
import { get } from "./api.js";
import { h, replace, when } from "./dom.js";
import { human } from "./messages.js";
import { isDataset } from "./renders.js";
import { dropZone } from "./upload.js";

async function posterOf(model) {
  const done = (await get(`/v1/renders?model=${model.id}&status=done&limit=20`)).data;
  const shown = done.filter((r) => !isDataset(r));
  return shown.length ? `/v1/renders/${shown[shown.length - 1].id}/poster` : null;
}

function card(model) {
  const image = h("div", { class: "poster" }, h("span", {}, "rendering…"));
  posterOf(model).then(
    (src) => src && replace(image, h("img", { src, alt: `Poster of ${model.title || model.originalName}` })),
    () => replace(image, h("span", {}, "no poster yet")),
  );
  return h(
    "a",
    { class: "card", href: `#/models/${model.id}`, dataset: { modelId: model.id } },
    image,
    h("strong", {}, model.title || model.originalName),
    h("small", {}, when(model.createdAt)),
    h("span", { class: "tags" }, model.tags.map((t) => h("span", { class: "tag" }, t))),
  );
}

export function modelsPage({ config }) {
  const grid = h("div", { class: "grid", id: "model-grid" });
  const note = h("p", { class: "note", role: "status" });
  const filter = h("input", { type: "search", placeholder: "Filter by tags: chair, office", id: "tag-filter", "aria-label": "Filter by tags" });

  async function load() {
    const tags = filter.value.split(",").map((t) => t.trim()).filter(Boolean).join(",");
    try {
      const body = await get(`/v1/models?limit=100${tags ? `&tags=${encodeURIComponent(tags)}` : ""}`);
      replace(grid, body.data.map(card));
      note.textContent = body.data.length
        ? `${body.meta.total} model${body.meta.total === 1 ? "" : "s"}.`
        : tags ? "No model has those tags." : "No models yet: drop one above to render it.";
    } catch (err) {
      note.textContent = human(err);
    }
  }

  filter.addEventListener("change", load);
  load();
  return {
    el: h("section", { class: "models-page" }, dropZone(config, load), h("div", { class: "toolbar" }, h("h2", {}, "Models"), filter), note, grid),
    stop() {},
  };
}
