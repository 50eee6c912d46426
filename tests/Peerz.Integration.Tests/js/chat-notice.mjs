// Opens the gateway's chat page in Debian's chromium (playwright-core), sends PROMPT and waits for the notice the page
// shows when the network cannot answer. Saves a screenshot and prints JSON for the C# test (ChatPageBrowserTests).
// Usage: node chat-notice.mjs GATEWAY_URL PROMPT SCREENSHOT_PATH [CHROMIUM_PATH]
import { chromium } from "playwright-core";

const [url, prompt, screenshot, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
// --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  let status = null;
  page.on("response", (r) => { if (r.url().endsWith("/v1/chat/completions")) status = r.status(); });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("model-picker").options.length > 0);
  await page.fill("#prompt", prompt);
  await page.click("#send");
  await page.waitForFunction(() => document.getElementById("notice").textContent.length > 0, null, { timeout: 60_000, polling: 50 });
  const result = await page.evaluate(() => ({
    notice: document.getElementById("notice").textContent,
    reply: document.querySelector("#log .assistant:last-child").textContent,
    replyIsError: document.querySelector("#log .assistant:last-child").classList.contains("error"),
    sendEnabled: !document.getElementById("send").disabled,
  }));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ ...result, status, consoleErrors }));
} finally {
  await browser.close();
}
