// The create-render form: one control per field of the API's RenderSettings schema
// (served by /portal/config.json from the server's own model, so a field added there
// appears here), checked as the API checks it — types, ranges, enums, patterns, the
// effect-only and dataset-only fields, and the length limit of non-admin accounts.
import { h } from "./dom.js";
import { human } from "./messages.js";

// What a person reads beside each field (dx.gl's documentation, shortened).
const LABELS = {
  quality: ["Quality", "share 540p (1 credit), standard 1080p (4), 4k (16), pro ProRes 4444 with alpha (64)"],
  effect: ["Camera path", "dataset renders a NeRF / 3DGS training set instead of a video"],
  output: ["Output", "video, or a training dataset"],
  datasetQuality: ["Dataset tier", "views × resolution: 100x800 (4 credits), 196x1024 (16), 400x2048 (64)"],
  coverage: ["Viewpoints", "hemisphere or the full sphere"],
  sweepAngle: ["Sweep angle (°)", "hero-spin 540, reveal 180 by default"],
  easeOutRatio: ["Ease-out ratio", "hero-spin deceleration share, 0–1"],
  amplitude: ["Swing amplitude (°)", "showcase swing angle"],
  zoomStart: ["Zoom start", "zoom-orbit starting radius multiplier"],
  zoomEnd: ["Zoom end", "zoom-orbit ending radius multiplier"],
  scaleFrom: ["Scale from", "reveal starting model scale"],
  vignette: ["Vignette", "0 none – 1 full"],
  aspect: ["Aspect", ""],
  bgColor: ["Background colour", "#rrggbb"],
  bgImageId: ["Background image", "an overlay; overrides the colour"],
  bgAlign: ["Background anchor", "crop anchor of the background image"],
  length: ["Length (s)", "3–30 seconds, decimals allowed"],
  animation: ["Animation clip", "a clip name of the model, or * for the first"],
  animationSpeed: ["Animation speed", "playback multiplier, above 0 and up to 10"],
  shadows: ["Ground shadows", ""],
  reflector: ["Reflective ground", ""],
  easing: ["Ease in and out", ""],
  rotateY: ["Start angle (°)", "turntable camera starting angle"],
  tiltX: ["Tilt (°)", "forward/back tilt of the model"],
  panX: ["Pan (°)", "yaw of the model, after the tilt"],
  rollZ: ["Roll (°)", "roll about the Z axis"],
  zoom: ["Camera distance", "below 1 closer, above 1 farther"],
  environment: ["Environment", "studio, or an environment overlay"],
  environmentRotation: ["Environment rotation (°)", "turns the key light with it"],
  environmentIntensity: ["Environment intensity", "radiance scale"],
  toneMapping: ["Tone mapping", ""],
  keyLight: ["Key light", "automatic: on unless the file brings its own lights"],
  background: ["Background", "the colour/image, or the environment map itself"],
  materialVariant: ["Material variant", "a KHR_materials_variants name of the model"],
};
const DATASET_FIELDS = new Set(["datasetQuality", "coverage"]);
// Fields kept off the form: `output` is chosen through the camera path (effect "dataset"
// is the same request, docs/api.md).
const HIDDEN = new Set(["output"]);

// A field's schema without its "or null" branch, and whether null (left out) is allowed.
function shape(property) {
  if (!property.anyOf) return { ...property, optional: false };
  const real = property.anyOf.find((branch) => branch.type !== "null");
  return { ...real, optional: true, default: property.default };
}

function fmt(n) {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

// The API's wording of a range (pydantic's), so a refusal reads the same on either side.
function checkValue(name, s, raw) {
  if (s.type === "boolean") return { value: raw === "true" };
  if (s.type === "number" || s.type === "integer") {
    const text = String(raw).trim();
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
      return { error: s.type === "integer" ? "enter a whole number" : "enter a number" };
    }
    const value = Number(text);
    if (s.type === "integer" && !Number.isInteger(value)) return { error: "enter a whole number" };
    if (s.minimum !== undefined && value < s.minimum) {
      return { error: `must be greater than or equal to ${fmt(s.minimum)}` };
    }
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) {
      return { error: `must be greater than ${fmt(s.exclusiveMinimum)}` };
    }
    if (s.maximum !== undefined && value > s.maximum) {
      return { error: `must be less than or equal to ${fmt(s.maximum)}` };
    }
    return { value };
  }
  const value = String(raw);
  if (s.enum && !s.enum.includes(value)) return { error: `must be one of ${s.enum.join(", ")}` };
  if (s.minLength !== undefined && value.length < s.minLength) return { error: "must not be empty" };
  if (s.maxLength !== undefined && value.length > s.maxLength) {
    return { error: `must be at most ${s.maxLength} characters` };
  }
  if (s.pattern && !new RegExp(s.pattern).test(value)) {
    return { error: name === "bgColor" ? "must be a # and six hexadecimal digits, e.g. #ff8800" : "has the wrong form" };
  }
  return { value };
}

function control(name, s, choices) {
  const id = `rs-${name}`;
  const options = choices[name] || (s.enum ? s.enum.map((v) => [v, v]) : null);
  if (s.type === "boolean") {
    const values = s.optional ? [["", "automatic"], ["true", "on"], ["false", "off"]] : [["true", "on"], ["false", "off"]];
    const current = s.optional ? "" : String(s.default);
    return h("select", { id, name }, values.map(([v, label]) => h("option", { value: v, selected: v === current }, label)));
  }
  if (options) {
    const current = s.default === null || s.default === undefined ? "" : String(s.default);
    const list = s.optional ? [["", "default"], ...options] : options;
    return h("select", { id, name }, list.map(([v, label]) => h("option", { value: v, selected: v === current }, label)));
  }
  if (name === "bgColor") {
    return h("input", { id, name, type: "text", value: s.default, size: 9, spellcheck: "false" });
  }
  const numeric = s.type === "number" || s.type === "integer";
  return h("input", {
    id,
    name,
    type: "text",
    inputmode: numeric ? "decimal" : null,
    value: s.optional || s.default === undefined ? "" : String(s.default),
    placeholder: s.optional ? "default" : null,
  });
}

// Build the form; `choices` holds select options the page fetched (overlays as
// [id, name]); `submit(settings)` is called with the checked settings object.
export function settingsForm(config, { isAdmin, choices, submit, quote }) {
  const schema = config.renderSettings;
  const effectOnly = {};
  for (const [effect, fields] of Object.entries(config.effectDefaults)) {
    for (const field of Object.keys(fields)) (effectOnly[field] ||= []).push(effect);
  }
  const fields = {};
  const rows = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    if (HIDDEN.has(name)) continue;
    const s = shape(property);
    const [label, help] = LABELS[name] || [name, ""];
    const input = control(name, s, choices);
    const problem = h("span", { class: "field-error", id: `rs-${name}-error`, role: "alert" });
    const row = h(
      "div",
      { class: "field", dataset: { field: name } },
      h("label", { for: input.id }, label),
      input,
      help ? h("small", {}, help) : null,
      problem,
    );
    fields[name] = { s, input, problem, row };
    rows.push(row);
  }
  const summary = h("p", { class: "form-error", role: "alert" });
  const cost = h("p", { class: "cost" });
  const button = h("button", { type: "submit" }, "Create render");
  const form = h("form", { class: "settings", novalidate: true }, h("div", { class: "fields" }, rows), button, cost, summary);

  const effect = () => fields.effect.input.value;
  function relevant(name) {
    if (effect() === "dataset") return DATASET_FIELDS.has(name) || name === "effect";
    if (DATASET_FIELDS.has(name)) return false;
    return !effectOnly[name] || effectOnly[name].includes(effect());
  }
  function layout() {
    for (const [name, f] of Object.entries(fields)) f.row.hidden = !relevant(name);
  }

  // The settings as the API will read them, or the problems found, by field.
  function read() {
    const settings = {};
    const problems = {};
    for (const [name, { s, input }] of Object.entries(fields)) {
      if (!relevant(name)) continue;
      const raw = input.value;
      if (raw === "" && s.optional) continue;
      const { value, error } = checkValue(name, s, raw);
      if (error) problems[name] = error;
      else settings[name] = value;
    }
    if (settings.length > config.maxLength && !isAdmin && !("length" in problems)) {
      problems.length = `must be between 3 and ${fmt(config.maxLength)} seconds (up to ${fmt(config.maxAdminLength)} for admin accounts)`;
    }
    return { settings, problems };
  }

  function show(problems) {
    for (const [name, f] of Object.entries(fields)) {
      f.problem.textContent = problems[name] ? `${LABELS[name]?.[0] || name} ${problems[name]}.` : "";
      f.row.classList.toggle("invalid", Boolean(problems[name]));
    }
    const count = Object.keys(problems).length;
    summary.textContent = count ? `Please correct ${count === 1 ? "the field" : `the ${count} fields`} marked in red.` : "";
    return count === 0;
  }

  let quoting = 0;
  async function refreshCost() {
    const { settings, problems } = read();
    if (Object.keys(problems).length) {
      cost.textContent = "";
      return;
    }
    const ticket = ++quoting;
    try {
      const line = await quote(settings);
      if (ticket === quoting) cost.textContent = line;
    } catch {
      if (ticket === quoting) cost.textContent = "";
    }
  }

  form.addEventListener("change", () => {
    layout();
    show(read().problems);
    refreshCost();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { settings, problems } = read();
    if (!show(problems)) return;
    button.disabled = true;
    summary.textContent = "";
    try {
      await submit(settings);
      refreshCost(); // the balance it quoted against has changed
    } catch (err) {
      summary.textContent = human(err);
    } finally {
      button.disabled = false;
    }
  });
  layout();
  refreshCost();
  return form;
}
