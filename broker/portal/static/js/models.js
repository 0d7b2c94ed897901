// The account's models as a grid of cards: a poster (from a finished render), the name and
// the tags; a tag filter as the API offers it (comma-separated, any of them).
import { get } from "./api.js";
import { h, replace, when } from "./dom.js";
import { human } from "./messages.js";
import { FINISHED, isDataset } from "./renders.js";
import { dropZone } from "./upload.js";

const POLL_MS = 3000;

// The poster of the newest finished video render, and whether one may still come.
async function posterOf(model) {
  const renders = (await get(`/v1/renders?model=${model.id}&limit=100`)).data;
  const shown = renders.filter((r) => r.status === "done" && !isDataset(r));
  return {
    src: shown.length ? `/v1/renders/${shown[shown.length - 1].id}/poster` : null,
    pending: renders.some((r) => !FINISHED.has(r.status)),
  };
}

// A card asks again (through `wait`) until its poster is there or no render can bring one.
function card(model, wait) {
  const image = h("div", { class: "poster" }, h("span", {}, "rendering…"));
  const look = () =>
    posterOf(model).then(
      ({ src, pending }) => {
        if (src) replace(image, h("img", { src, alt: `Poster of ${model.title || model.originalName}` }));
        else if (pending) wait(look);
        else replace(image, h("span", {}, "no poster"));
      },
      () => wait(look),
    );
  look();
  return h(
    "a",
    { class: "card", href: `#/models/${model.id}`, dataset: { modelId: model.id } },
    image,
    h("strong", {}, model.title || model.originalName),
    h("small", {}, when(model.createdAt)),
    h("span", { class: "tags" }, model.tags.map((t) => h("span", { class: "tag" }, t))),
  );
}

export function modelsPage({ config, refreshAccount }) {
  const grid = h("div", { class: "grid", id: "model-grid" });
  const note = h("p", { class: "note", role: "status" });
  const filter = h("input", { type: "search", placeholder: "Filter by tags: chair, office", id: "tag-filter", "aria-label": "Filter by tags" });

  let waiting = new Set();
  let timer = null;
  let stopped = false;
  function poll() {
    const again = waiting;
    waiting = new Set();
    for (const look of again) look();
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  async function load() {
    waiting = new Set();
    const tags = filter.value.split(",").map((t) => t.trim()).filter(Boolean).join(",");
    try {
      const body = await get(`/v1/models?limit=100${tags ? `&tags=${encodeURIComponent(tags)}` : ""}`);
      replace(grid, body.data.map((model) => card(model, (look) => waiting.add(look))));
      note.textContent = body.data.length
        ? `${body.meta.total} model${body.meta.total === 1 ? "" : "s"}.`
        : tags ? "No model has those tags." : "No models yet: drop one above to render it.";
    } catch (err) {
      note.textContent = human(err);
    }
  }

  filter.addEventListener("change", load);
  load();
  timer = setTimeout(poll, POLL_MS);
  return {
    el: h("section", { class: "models-page" }, dropZone(config, () => {
      load();
      refreshAccount(); // the upload's render took its credits
    }), h("div", { class: "toolbar" }, h("h2", {}, "Models"), filter), note, grid),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
