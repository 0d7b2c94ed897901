// Drag-and-drop (or pick) model files; each is posted to /v1/models with its own progress
// bar, and the grid is told when one is in. Any format the farm reads is offered: the list
// comes from the server's converter (config.uploadSuffixes).
import { upload } from "./api.js";
import { bytes, h } from "./dom.js";
import { human } from "./messages.js";

export function dropZone(config, uploaded) {
  const suffixes = config.uploadSuffixes.map((s) => `.${s}`);
  const picker = h("input", { type: "file", multiple: true, accept: suffixes.join(","), id: "upload-input", hidden: true });
  const list = h("ul", { class: "uploads", id: "uploads" });
  const zone = h(
    "div",
    { class: "dropzone", id: "dropzone", tabindex: 0, role: "button" },
    h("strong", {}, "Drop 3-D models here"),
    " or ",
    h("u", {}, "choose files"),
    h("small", {}, `Accepted: ${suffixes.join(" ")} — a ZIP holds one OBJ or glTF with its textures.`),
    picker,
  );
  zone.addEventListener("click", (event) => {
    if (event.target !== picker) picker.click();
  });
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") picker.click();
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    send([...event.dataTransfer.files]);
  });
  picker.addEventListener("change", () => {
    send([...picker.files]);
    picker.value = "";
  });

  function send(files) {
    for (const file of files) one(file);
  }

  async function one(file) {
    const bar = h("progress", { max: 1, value: 0 });
    const state = h("span", { class: "state" }, "uploading…");
    const item = h("li", {}, h("span", { class: "name" }, file.name), ` ${bytes(file.size)} `, bar, state);
    list.prepend(item);
    const suffix = file.name.includes(".") ? file.name.slice(file.name.lastIndexOf(".")).toLowerCase() : "";
    if (!suffixes.includes(suffix)) {
      bar.remove();
      item.classList.add("failed");
      state.textContent = `This is not a 3-D format the farm reads. Use one of: ${suffixes.join(", ")}.`;
      return;
    }
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const body = await upload("/v1/models", form, (share) => {
        bar.value = share;
        if (share >= 1) state.textContent = "checking the model…";
      });
      bar.value = 1;
      const { modelId, duplicate } = body.data;
      item.classList.add("done");
      state.replaceChildren(
        duplicate ? "already uploaded — a new render was started. " : "uploaded, rendering. ",
        h("a", { href: `#/models/${modelId}` }, "Open"),
      );
      uploaded(modelId);
    } catch (err) {
      bar.remove();
      item.classList.add("failed");
      state.textContent = human(err);
    }
  }

  return h("section", { class: "upload" }, zone, list);
}
