// One render as a person follows it: status, progress and ETA while it runs (the
// `progress` percentage and `eta` seconds a render may carry, a meshfarm extension), its
// reason when it failed, and once done its video, poster and downloads.
import { bytes, h, when } from "./dom.js";
import { told } from "./messages.js";

export const FINISHED = new Set(["done", "error", "failed"]);
const STATUS_TEXT = {
  pending: "queued",
  "poster-processing": "rendering frames",
  "poster-done": "poster ready, encoding",
  "video-processing": "encoding the video",
  done: "done",
  error: "failed",
  failed: "failed (dismissed)",
};
const FAILED = "This render failed; its credits were refunded.";

export function isDataset(render) {
  return render.renderSettings?.output === "dataset" || render.renderSettings?.effect === "dataset";
}

function describe(render) {
  const s = render.renderSettings || {};
  if (isDataset(render)) return `dataset ${s.datasetQuality || ""} · ${s.coverage || ""}`;
  const parts = [s.quality, s.effect, s.aspect, s.length ? `${s.length} s` : null];
  return parts.filter(Boolean).join(" · ");
}

function eta(value) {
  let seconds = typeof value === "number" ? value : null;
  if (typeof value === "string") {
    const at = Date.parse(value);
    seconds = Number.isNaN(at) ? null : (at - Date.now()) / 1000;
  }
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}

// The row of the render list (its status line kept current by `update`).
export function renderRow(render, selected, choose) {
  const row = h("li", { class: "render", dataset: { renderId: render.id } });
  update(row, render, selected, choose);
  return row;
}

export function update(row, render, selected, choose) {
  const status = render.status;
  const progress = typeof render.progress === "number" ? Math.max(0, Math.min(100, render.progress)) : null;
  const running = !FINISHED.has(status);
  const poster = !isDataset(render) && ["poster-done", "video-processing", "done"].includes(status);
  row.className = `render status-${status}${selected ? " selected" : ""}`;
  row.replaceChildren(
    h(
      "button",
      { type: "button", class: "pick", onclick: () => choose(render.id), "aria-pressed": selected ? "true" : "false" },
      poster ? h("img", { src: `/v1/renders/${render.id}/poster`, alt: "", loading: "lazy" }) : h("span", { class: "no-poster" }, isDataset(render) ? "dataset" : "…"),
      h(
        "span",
        { class: "meta" },
        h("span", { class: "pill", dataset: { status } }, STATUS_TEXT[status] || status),
        render.is_system_preview ? h("span", { class: "tag" }, "free preview") : null,
        h("span", { class: "what" }, describe(render)),
        h("span", { class: "when" }, when(render.createdAt)),
        running && progress !== null ? h("progress", { max: 100, value: progress, class: "render-progress" }) : null,
        running && progress !== null ? h("span", { class: "progress-text" }, [`${Math.round(progress)}%`, eta(render.eta)].filter(Boolean).join(" · ")) : null,
        status === "error" ? h("span", { class: "error-text" }, told(render.errorMessage, FAILED)) : null,
      ),
    ),
  );
}

function link(href, label, note) {
  return h("li", {}, h("a", { href, download: "", class: "download" }, label), note ? ` ${note}` : "");
}

// The chosen render: its player and downloads once done, else what it is waiting for.
export function renderDetail(render, { dismiss }) {
  const box = h("div", { class: "render-detail", id: "render-detail" });
  if (render.status === "error") {
    box.append(
      h("p", { class: "error-text" }, told(render.errorMessage, FAILED)),
      h("button", { type: "button", onclick: dismiss }, "Dismiss"),
    );
    return box;
  }
  if (render.status !== "done") {
    box.append(h("p", {}, "The files appear here when the render is done."));
    return box;
  }
  const base = `/v1/renders/${render.id}`;
  if (isDataset(render)) {
    box.append(
      h("p", {}, "A NeRF / 3DGS training set: images, depth, normals, masks and transforms.json."),
      h("ul", { class: "downloads" }, link(`${base}/bundle`, "Download dataset (ZIP)", bytes(render.fileSize))),
    );
    return box;
  }
  const pro = render.renderSettings?.quality === "pro";
  // A ProRes .mov does not play in browsers: the page plays its web MP4.
  const playable = render.hasWebVariant ? `${base}/video?quality=web` : `${base}/video`;
  const problem = h("p", { class: "error-text", role: "alert" });
  const video = h("video", { src: playable, controls: true, playsinline: true, muted: true, loop: true, preload: "auto", poster: `${base}/poster?quality=full`, id: "player" });
  video.addEventListener("error", () => {
    problem.textContent = "This video could not be played here; download it instead.";
  });
  box.append(
    video,
    problem,
    h(
      "ul",
      { class: "downloads" },
      link(`${base}/video`, pro ? "Video (ProRes .mov)" : "Video (MP4)", bytes(render.fileSize)),
      render.hasWebVariant ? link(`${base}/video?quality=web`, "Web video (MP4)") : null,
      link(`${base}/poster?quality=full`, "Poster (PNG)"),
      link(`${base}/thumb`, "Thumbnail video (MP4)"),
      link(`${base}/bundle`, "Everything (ZIP bundle)"),
    ),
  );
  return box;
}
