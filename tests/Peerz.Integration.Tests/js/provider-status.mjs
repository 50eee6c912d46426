// Opens a provider's --status-listen page in Debian's chromium (playwright-core), waits until it shows the span and the
// chain's answer, saves SCREENSHOT and prints what the page shows as JSON for ProviderStatusPageTests.
// Usage: node provider-status.mjs STATUS_URL SCREENSHOT [CHROMIUM_PATH]
import { chromium } from "playwright-core";

const [url, screenshot, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
// --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 560 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("span").textContent !== "–" && document.getElementById("stake").textContent !== "–", null, { timeout: 30_000, polling: 100 });
  const shown = await page.evaluate(() => Object.fromEntries(["peer", "span", "state", "reachability", "sessions", "cache", "tokens", "received", "price", "stake", "jailed"]
    .map((id) => [id, document.getElementById(id).textContent])));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ shown, consoleErrors }));
} finally {
  await browser.close();
}
