// Takes full-page screenshots of the index, a model page and a profile page of a built site, for
// looking at by eye: node screenshots.mjs <site dir> <png dir>
import { join } from "node:path";
import { mkdirSync, readFileSync } from "node:fs";
import { serve, launch } from "./helpers.mjs";

const [site, outDir] = process.argv.slice(2);
if (!site || !outDir) {
  console.error("usage: node screenshots.mjs <site dir> <png dir>");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const models = JSON.parse(readFileSync(join(site, "api/v1/models.json"), "utf8"));
const model = models.find((m) => m.profileIds.length > 1) || models[0];
const pages = { index: "index.html", model: model.page, profile: `profiles/${model.profileIds[0]}.html` };
const server = await serve(site);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
for (const [name, path] of Object.entries(pages)) {
  await page.goto(server.url + path, { waitUntil: "networkidle" });
  await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });
  console.log(`${name}: ${path}`);
}
await browser.close();
await server.close();
