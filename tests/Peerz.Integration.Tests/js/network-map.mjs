// Opens the gateway's /network page in Debian's chromium (driven by playwright-core) and watches the map in two phases:
// 1. until it shows EXPECTED providers, all online, and no gap: records the map, saves SCREENSHOT_DIR/network-map.png and
//    writes READY_FILE (the C# test then kills a provider);
// 2. until blocks [GAP_START, GAP_END) show as a gap, without reloading the page: records when (epoch ms) and the map,
//    saves SCREENSHOT_DIR/network-map-gap.png and writes GAP_FILE (the C# test then proposes a slash);
// 3. until the provider whose span starts at JAILED_START is drawn jailed: saves SCREENSHOT_DIR/network-map-jailed.png.
// Prints JSON on stdout for the C# test (NetworkMapBrowserTests) to check.
// Usage: node network-map.mjs GATEWAY_URL SCREENSHOT_DIR READY_FILE EXPECTED GAP_START GAP_END GAP_FILE JAILED_START [CHROMIUM_PATH]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [url, screenshots, readyFile, expected, gapStart, gapEnd, gapFile, jailedStart, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
// --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  let navigations = 0;
  page.on("framenavigated", (frame) => { if (frame === page.mainFrame()) navigations++; });
  await page.goto(url + "/network", { waitUntil: "load" });

  // What the page shows: the spans on the strip, the gaps, the redundancy lane, and the table's stake and jail cells.
  const read = () => page.evaluate(() => ({
    spans: [...document.querySelectorAll("svg.map rect.span")].map((r) => ({
      peer: r.dataset.peer, state: r.dataset.state, start: Number(r.dataset.start), end: Number(r.dataset.end), fill: r.getAttribute("fill") })),
    gaps: [...document.querySelectorAll("svg.map rect.gap")].map((r) => ({ start: Number(r.dataset.start), end: Number(r.dataset.end) })),
    redundancy: [...document.querySelectorAll("svg.map rect.block")].map((r) => Number(r.dataset.redundancy)),
    blockFills: [...document.querySelectorAll("svg.map rect.block")].map((r) => r.getAttribute("fill")),
    rows: [...document.querySelectorAll("table.providers tbody tr")].map((tr) => ({
      peer: tr.dataset.peer, state: tr.dataset.state, stake: tr.querySelector(".stake").textContent, jailed: tr.querySelector(".jailed").textContent })),
    chain: document.getElementById("chain")?.textContent ?? "",
    status: document.getElementById("status").textContent,
  }));

  // On a timeout, say what the page showed and what the gateway last answered.
  const explain = async (error) => {
    const snapshot = await page.evaluate(() => JSON.stringify(window.peerzSnapshot ?? null));
    throw new Error(`${error.message}\npage: ${JSON.stringify(await read())}\nlast /v1/network: ${snapshot}`);
  };

  await page.waitForFunction((count) => {
    const spans = [...document.querySelectorAll("svg.map rect.span")];
    return spans.length === count && spans.every((s) => s.dataset.state === "online") && document.querySelectorAll("svg.map rect.gap").length === 0;
  }, Number(expected), { timeout: 60_000, polling: 100 }).catch(explain);
  const initial = await read();
  await page.screenshot({ path: join(screenshots, "network-map.png"), fullPage: true });
  writeFileSync(readyFile, "ready");

  await page.waitForFunction(([start, end]) =>
    [...document.querySelectorAll("svg.map rect.gap")].some((g) => g.dataset.start === start && g.dataset.end === end),
    [gapStart, gapEnd], { timeout: 60_000, polling: 100 }).catch(explain);
  const gapSeenAt = Date.now();
  const after = await read();
  await page.screenshot({ path: join(screenshots, "network-map-gap.png"), fullPage: true });
  writeFileSync(gapFile, "gap");

  // 3. until the provider at JAILED_START is drawn jailed (the C# test proposes a slash against it).
  await page.waitForFunction((start) =>
    [...document.querySelectorAll("svg.map rect.span")].some((s) => s.dataset.start === start && s.dataset.state === "jailed"),
    jailedStart, { timeout: 60_000, polling: 100 }).catch(explain);
  const jailed = await read();
  await page.screenshot({ path: join(screenshots, "network-map-jailed.png"), fullPage: true });
  console.log(JSON.stringify({ initial, after, jailed, gapSeenAt, navigations, consoleErrors }));
} finally {
  await browser.close();
}
