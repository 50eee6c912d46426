// Markdown for chat replies: the subset models write (paragraphs, headings, lists, quotes, fenced code, inline code,
// bold, italics, http(s) links). Parsing yields a plain tree; rendering builds DOM nodes with textContent only, never
// HTML from the reply, so a reply cannot inject markup or script. An unclosed code fence (a reply still streaming)
// runs to the end of the text. Headings start at h3, so a reply never outranks the page's own title.
"use strict";

function parseMarkdown(text) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*```\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      const body = [];
      for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      i++;
      blocks.push({ type: "pre", lang: fence[1], text: body.join("\n") });
      continue;
    }
    if (/^\s*$/.test(line)) { i++; continue; }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push({ type: "h" + Math.min(heading[1].length + 2, 6), children: parseInline(heading[2].replace(/\s+#+\s*$/, "")) });
      i++;
      continue;
    }
    const list = listItem(line);
    if (list) {
      const items = [];
      while (i < lines.length && listItem(lines[i])?.ordered === list.ordered) {
        const item = [listItem(lines[i]).text];
        // Indented lines continue the item.
        for (i++; i < lines.length && /^\s{2,}\S/.test(lines[i]) && !listItem(lines[i]); i++) item.push(lines[i].trim());
        items.push({ type: "li", children: parseInline(item.join("\n")) });
      }
      blocks.push({ type: list.ordered ? "ol" : "ul", children: items });
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) quoted.push(lines[i].replace(/^\s*>\s?/, ""));
      blocks.push({ type: "blockquote", children: parseMarkdown(quoted.join("\n")) });
      continue;
    }
    const paragraph = [];
    for (; i < lines.length && !/^\s*$/.test(lines[i]) && !startsBlock(lines[i]); i++) paragraph.push(lines[i]);
    blocks.push({ type: "p", children: parseInline(paragraph.join("\n")) });
  }
  return blocks;
}

function listItem(line) {
  const match = /^\s{0,3}(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/.exec(line);
  return match ? { ordered: match[2] !== undefined, text: match[3] } : null;
}

function startsBlock(line) {
  return /^\s*```/.test(line) || /^#{1,6}\s/.test(line) || listItem(line) !== null || /^\s*>/.test(line);
}

// Inline spans, left to right: code first (its content is literal), then links, bold, italics; a newline is a line break.
const INLINE = /`([^`\n]+)`|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|\*\*(?=\S)([^\n]*?\S)\*\*|__(?=\S)([^\n]*?\S)__|\*(?=\S)([^*\n]*?\S)\*|(?<![\w])_(?=\S)([^_\n]*?\S)_(?![\w])|\n/g;

function parseInline(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) nodes.push({ type: "text", text: text.slice(last, match.index) });
    const [whole, code, label, href, bold1, bold2, em1, em2] = match;
    if (code !== undefined) nodes.push({ type: "code", text: code });
    else if (href !== undefined) nodes.push({ type: "a", href, children: parseInline(label) });
    else if ((bold1 ?? bold2) !== undefined) nodes.push({ type: "strong", children: parseInline(bold1 ?? bold2) });
    else if ((em1 ?? em2) !== undefined) nodes.push({ type: "em", children: parseInline(em1 ?? em2) });
    else if (whole === "\n") nodes.push({ type: "br" });
    last = match.index + whole.length;
  }
  if (last < text.length) nodes.push({ type: "text", text: text.slice(last) });
  return nodes;
}

function renderMarkdown(text, doc) {
  const fragment = doc.createDocumentFragment();
  for (const node of parseMarkdown(text)) fragment.append(renderNode(node, doc));
  return fragment;
}

function renderNode(node, doc) {
  if (node.type === "text") return doc.createTextNode(node.text);
  if (node.type === "br") return doc.createElement("br");
  const element = doc.createElement(node.type);
  if (node.type === "pre") {
    const code = doc.createElement("code");
    if (node.lang) code.className = "language-" + node.lang;
    code.textContent = node.text;
    element.append(code);
    return element;
  }
  if (node.type === "code") {
    element.textContent = node.text;
    return element;
  }
  if (node.type === "a") {
    element.href = node.href;
    element.rel = "noopener noreferrer";
    element.target = "_blank";
  }
  for (const child of node.children) element.append(renderNode(child, doc));
  return element;
}
