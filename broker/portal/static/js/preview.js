// The interactive 3-D preview: <model-viewer> (vendored, loaded the first time a preview
// opens) showing the model as GLB. The decoders it would fetch from Google's CDN for Draco
// and KTX2 models are pointed at the vendor folder instead: nothing leaves the farm.
import { h } from "./dom.js";

const VENDOR = "/portal/static/vendor";
let loading = null;

function viewerModule() {
  // Read by the module as it loads (model-viewer's documented global configuration).
  self.ModelViewerElement = {
    ...self.ModelViewerElement,
    dracoDecoderLocation: `${VENDOR}/draco/`,
    ktx2TranscoderLocation: `${VENDOR}/basis/`,
  };
  loading ||= import(`${VENDOR}/model-viewer.min.js`);
  return loading;
}

const NOT_LOADED =
  "The 3-D preview could not be shown: the model may still be converting to GLB (try again in a minute), or it uses a compression this farm's viewer lacks.";

export function preview(model) {
  const status = h("p", { class: "preview-status", role: "status" }, "Loading the 3-D preview…");
  const holder = h("div", { class: "preview", id: "preview" }, status);
  viewerModule().then(
    () => {
      const viewer = h("model-viewer", {
        src: `/v1/models/${model.id}/file?format=glb`,
        alt: `3-D preview of ${model.title || model.originalName}`,
        "camera-controls": true,
        "auto-rotate": true,
        "shadow-intensity": "1",
        "touch-action": "pan-y",
      });
      viewer.addEventListener("load", () => {
        status.textContent = "Drag to turn the model, scroll or pinch to zoom.";
        holder.classList.add("loaded");
      });
      viewer.addEventListener("error", () => {
        status.textContent = NOT_LOADED;
        holder.classList.add("failed");
      });
      holder.prepend(viewer);
    },
    () => {
      status.textContent = "The 3-D viewer could not be started in this browser.";
      holder.classList.add("failed");
    },
  );
  return holder;
}
