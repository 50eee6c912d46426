// Opens the gateway's chat page in Debian's chromium (playwright-core), asks for a long reply with the page's own
// controls (max tokens, temperature, top-p), presses Stop once the reply has started to stream, and checks the reply
// stops growing. Saves a screenshot and prints JSON for the C# test (ChatPageBrowserTests).
// Usage: node chat-stop.mjs GATEWAY_URL PROMPT MAX_TOKENS SCREENSHOT_PATH [CHROMIUM_PATH]
import { chromium } from "playwright-core";

const [url, prompt, maxTokens, screenshot, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
// --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("model-picker").options.length > 0);
  const models = await page.evaluate(() => [...document.getElementById("model-picker").options].map((o) => o.value));

  let request = null;
  page.on("request", (r) => { if (r.url().endsWith("/v1/chat/completions")) request = r.postDataJSON(); });
  await page.fill("#max-tokens", maxTokens);
  await page.fill("#temperature", "0.7");
  await page.fill("#top-p", "0.9");
  await page.fill("#prompt", prompt);
  await page.click("#send");
  await page.waitForFunction(() => (document.querySelector("#log .assistant:last-child")?.textContent.length ?? 0) > 0, null, { timeout: 30_000, polling: 20 });
  await page.click("#stop");
  const stoppedAt = Date.now();
  await page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 10_000 });
  const atStop = await page.evaluate(() => document.querySelector("#log .assistant:last-child").textContent);
  await page.waitForTimeout(1500);
  const result = await page.evaluate(() => ({
    reply: document.querySelector("#log .assistant:last-child").textContent,
    stopped: document.querySelector("#log .assistant:last-child .stopped") !== null,
    stopDisabled: document.getElementById("stop").disabled,
    notice: document.getElementById("notice").textContent,
    hops: [...document.querySelectorAll("#hops .hop")].map((hop) => hop.textContent),
    latencies: [...document.querySelectorAll("#hops .latency")].map((latency) => latency.textContent),
    rate: document.getElementById("rate").textContent,
    cost: document.getElementById("cost").textContent,
  }));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ ...result, atStop, stoppedAt, models, request, consoleErrors }));
} finally {
  await browser.close();
}
