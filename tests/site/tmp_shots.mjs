import { launch } from "./helpers.mjs";
const b = await launch();
const base = "http://127.0.0.1:8199/";
const pages = [["index", "index.html?ntpot=30&qps=50"], ["model", "models/meta-llama-llama-3-1-8b-instruct-08a20b.html?ntpot=8"], ["profile", "profiles/llama-3-1-8b-instruct-vllm-v0-11-0-nvidia-h100-80gb-x1-baseline-shared-prefix-192-64-b80f22c3.html?ntpot=30&ttft=200&qps=50"], ["frontier", "frontier.html"], ["compare", "compare.html?ids=llama-3-1-8b-instruct-vllm-v0-11-0-nvidia-h100-80gb-x1-chunked-prefill-prefix-caching-bits-3c5dc15b,llama-3-1-8b-instruct-vllm-v0-11-0-nvidia-h100-80gb-x1-max-num-seqs-192-shared-prefix-192-51db609b&ntpot=20"]];
for (const w of [1440, 390]) {
  const ctx = await b.newContext({ viewport: { width: w, height: 900 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.log("pageerror:", e.message));
  for (const [name, url] of pages) {
    await page.goto(base + url);
    await page.waitForTimeout(1000);
    const info = await page.evaluate(() => {
      const t = document.querySelector("#profiles");
      const wrap = t && t.parentElement;
      return { sw: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight, table: t ? [t.scrollWidth, wrap.clientWidth] : null };
    });
    console.log(w, name, JSON.stringify(info));
    await page.screenshot({ path: `/tmp/shots/${name}-${w}.png`, fullPage: true });
    await page.screenshot({ path: `/tmp/shots/${name}-${w}-top.png` });
  }
  await ctx.close();
}
await b.close();
