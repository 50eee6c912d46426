// Opens the gateway's chat page in Debian's chromium (driven by playwright-core), sends a prompt,
// records every change of the reply as it streams in, and saves a screenshot. Prints JSON on stdout
// for the C# test (ChatPageBrowserTests) to check.
// Usage: node chat-page.mjs GATEWAY_URL PROMPT SCREENSHOT_PATH [CHROMIUM_PATH]
import { chromium } from "playwright-core";

const [url, prompt, screenshot, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
const markdownSample = [
  "# Title", "Some **bold**, *italic* and `a < b` code,", "a [link](https://example.org/x) and <script>alert(1)</script>.", "",
  "- one", "- two", "", "1. first", "", "> quoted", "", "```js", "let x = '<b>';", "```",
].join("\n");
// --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 30_000 });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("model").textContent.length > 0);

  // Every state the reply passes through, stamped with the time it appeared.
  await page.evaluate(() => {
    window.peerzUpdates = [];
    new MutationObserver(() => {
      const reply = document.querySelector("#log .assistant:last-child");
      if (reply) window.peerzUpdates.push({ at: performance.now(), text: reply.dataset.source ?? "" });
    }).observe(document.getElementById("log"), { childList: true, subtree: true, characterData: true });
  });

  const answered = page.waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
  await page.fill("#prompt", prompt);
  await page.click("#send");
  const response = await answered;
  const body = await response.text(); // resolves once the whole stream has arrived
  const streamEnded = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 30_000 });

  const result = await page.evaluate((MARKDOWN_SAMPLE) => ({
    updates: window.peerzUpdates,
    reply: document.querySelector("#log .assistant:last-child").dataset.source,
    // The page's markdown rendering of a reply that uses every supported element and tries to inject markup.
    markdown: (() => {
      const box = document.createElement("div");
      box.append(renderMarkdown(MARKDOWN_SAMPLE, document));
      return box.innerHTML;
    })(),
    route: document.getElementById("route").textContent,
    paid: document.getElementById("paid").textContent,
    tokens: document.getElementById("tokens").textContent,
    cost: document.getElementById("cost").textContent,
  }), markdownSample);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ ...result, streamEnded, status: response.status(), body, consoleErrors }));
} finally {
  await browser.close();
}
