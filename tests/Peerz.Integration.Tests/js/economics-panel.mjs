// Opens the gateway's /network page in Debian's chromium (playwright-core) and watches its economics panel: records it
// once it shows an epoch, writes READY_FILE (the C# test then moves chain time), and waits, without reloading, until the
// panel shows epoch EXPECTED_EPOCH and the top earners of SETTLED_EPOCH. Saves SCREENSHOT and prints the readings as JSON
// for NetworkMapBrowserTests.
// Usage: node economics-panel.mjs GATEWAY_URL SCREENSHOT READY_FILE EXPECTED_EPOCH SETTLED_EPOCH [CHROMIUM_PATH]
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, screenshot, readyFile, expectedEpoch, settledEpoch, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
// --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  let navigations = 0;
  page.on("framenavigated", (frame) => { if (frame === page.mainFrame()) navigations++; });
  await page.goto(url + "/network", { waitUntil: "load" });

  const read = () => page.evaluate(() => Object.fromEntries(["epoch", "time-left", "weights", "pool", "vouchers", "proposals", "economics-block"]
    .map((id) => [id, document.getElementById(id)?.textContent ?? null])));
  const panel = () => page.evaluate(() => document.getElementById("economics").textContent);

  await page.waitForFunction(() => document.getElementById("epoch") !== null, null, { timeout: 30_000, polling: 100 })
    .catch(async (e) => { throw new Error(`${e.message}\npanel: ${await panel()}`); });
  const before = await read();
  writeFileSync(readyFile, "ready");
  await page.waitForFunction((epoch) => document.getElementById("epoch")?.textContent === epoch, expectedEpoch, { timeout: 30_000, polling: 100 })
    .catch(async (e) => { throw new Error(`${e.message}\npanel: ${await panel()}`); });
  const after = await read();
  // Settlement closes the ended epoch after its next poll; the panel lists its earners on a later read.
  await page.waitForFunction((epoch) => document.querySelector(`#earners[data-epoch="${epoch}"]`) !== null, settledEpoch, { timeout: 60_000, polling: 100 })
    .catch(async (e) => { throw new Error(`${e.message}\npanel: ${await panel()}`); });
  const earners = await page.evaluate(() => ({
    title: document.getElementById("earners").textContent,
    rows: [...document.querySelectorAll("table.earners tbody tr")].map((row) => ({
      account: row.querySelector(".account").textContent, role: row.querySelector(".role").textContent, amount: row.querySelector(".amount").textContent,
    })),
  }));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ before, after, earners, navigations, consoleErrors }));
} finally {
  await browser.close();
}
