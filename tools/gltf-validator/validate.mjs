// Prints the Khronos glTF-Validator's report for one file as JSON on stdout.
// Usage: node validate.mjs FILE MAX_ISSUES [glb|gltf]  (no format: detected from the bytes)
// External resources (.bin, textures) are read only from inside FILE's own folder: a URI
// that resolves elsewhere (../, an absolute path, a symlink out, another scheme) is refused,
// and the validator reports it as a resource it could not load.
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import validator from "gltf-validator";

const [file, maxIssuesArg, format] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node validate.mjs FILE [MAX_ISSUES] [glb|gltf]\n");
  process.exit(2);
}
const maxIssues = Number.parseInt(maxIssuesArg ?? "1000", 10);

async function inside(folder, uri) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith("/") || uri.startsWith("\\")) {
    throw new Error(`refused: ${uri} is not a relative path`);
  }
  const target = await realpath(path.resolve(folder, decodeURIComponent(uri)));
  if (!target.startsWith(folder + path.sep)) {
    throw new Error(`refused: ${uri} is outside the asset's folder`);
  }
  return target;
}

try {
  const fullpath = await realpath(file);
  const folder = path.dirname(fullpath);
  const bytes = await readFile(fullpath);
  const report = await validator.validateBytes(new Uint8Array(bytes), {
    uri: path.basename(fullpath),
    maxIssues,
    format,
    writeTimestamp: false,
    externalResourceFunction: async (uri) => new Uint8Array(await readFile(await inside(folder, uri))),
  });
  process.stdout.write(JSON.stringify(report));
} catch (error) {
  process.stderr.write(String(error) + "\n");
  process.exit(1);
}
