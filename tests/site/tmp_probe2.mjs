import { launch } from "./helpers.mjs";
import { execFileSync } from "node:child_process";
const b = await launch();
const page = await b.newPage();
const base = "http://127.0.0.1:8199/";
for (const q of ["ntpot=30&qps=50", "ttft=200&stat=p90&pricing=on-demand", "itl=0.05&stat=mean"]) {
await page.goto(base + "profiles/llama-3-1-8b-instruct-vllm-v0-11-0-nvidia-h100-80gb-x1-baseline-shared-prefix-192-64-b80f22c3.html?" + q);
await page.waitForFunction(() => !document.querySelector("pre.yaml").hidden || document.querySelector(".yaml-note").textContent.includes("could not"), null, {timeout: 5000}).catch(()=>{});
const cmd = await page.textContent(".target-command code");
const yaml = await page.textContent("pre.yaml code");
const note = await page.textContent(".yaml-note");
const args = cmd.replace("infercat manifests create ", "").match(/--[^=]+=('[^']*'|\S+)/g).map((a) => a.replace(/='(.*)'$/, "=$1"));
const cli = execFileSync("../../target/debug/infercat", ["manifests", "create", "--out", "/tmp/o1", ...args], {encoding: "utf8"});
console.log(q, cli === yaml, yaml.length, note.slice(0,60));
}
await b.close();
