// Opens the gateway's chat page in Debian's chromium (playwright-core), asks for a long greedy reply, and once it streams
// SIGKILLs the provider the page shows serving the last hop (VICTIMS maps a hop's peer suffix to its process id). Waits
// for the reply to finish over the repaired route, saves a screenshot and prints JSON for ChatPageBrowserTests.
// Usage: node chat-reroute.mjs GATEWAY_URL PROMPT MAX_TOKENS SCREENSHOT_PATH CHROMIUM_PATH SUFFIX=PID...
import { chromium } from "playwright-core";

const [url, prompt, maxTokens, screenshot, executablePath, ...victims] = process.argv.slice(2);
const pids = Object.fromEntries(victims.map((v) => v.split("=")).map(([suffix, pid]) => [suffix, Number(pid)]));
// --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("model-picker").options.length > 0);
  await page.fill("#max-tokens", maxTokens);
  await page.fill("#temperature", "0");
  await page.fill("#prompt", prompt);
  await page.click("#send");

  // The reply streams and the page shows its route: kill the provider of the last hop.
  const lastHop = await (await page.waitForFunction(() => {
    const reply = document.querySelector("#log .assistant:last-child")?.dataset.source ?? "";
    const hops = [...document.querySelectorAll("#hops .hop")].map((hop) => hop.textContent);
    return reply.length > 0 && hops.length > 0 ? hops[hops.length - 1] : null;
  }, null, { timeout: 60_000, polling: 20 })).jsonValue();
  const victim = Object.keys(pids).find((suffix) => lastHop.startsWith(suffix));
  if (victim === undefined) throw new Error(`the last hop ${lastHop} is none of ${Object.keys(pids)}`);
  const atKill = await page.evaluate(() => document.querySelector("#log .assistant:last-child").dataset.source);
  process.kill(pids[victim], "SIGKILL");

  await page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 90_000, polling: 50 });
  const result = await page.evaluate(() => ({
    notice: document.getElementById("notice").textContent,
    noticeClass: document.getElementById("notice").className,
    reply: document.querySelector("#log .assistant:last-child").dataset.source ?? "",
    replyIsError: document.querySelector("#log .assistant:last-child").classList.contains("error"),
    hops: [...document.querySelectorAll("#hops .hop")].map((hop) => hop.textContent),
    tokens: document.getElementById("tokens").textContent,
  }));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ ...result, lastHop, victim, atKill, consoleErrors }));
} finally {
  await browser.close();
}
