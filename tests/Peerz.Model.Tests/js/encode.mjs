// Reference tokenizer for the tests: @lenml/tokenizers (a port of transformers.js) encodes texts
// with a tokenizer.json. Input on stdin: {"tokenizer": path, "config": path|null, "texts": [...]}.
// Output: {"ids": [[...], ...], "decoded": ["...", ...]}.
import { readFileSync } from "node:fs";
import { TokenizerLoader } from "@lenml/tokenizers";

const request = JSON.parse(readFileSync(0, "utf8"));
const tokenizerJSON = JSON.parse(readFileSync(request.tokenizer, "utf8"));
const tokenizerConfig = request.config ? JSON.parse(readFileSync(request.config, "utf8")) : {};
const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
const ids = request.texts.map((text) => Array.from(tokenizer.encode(text, { add_special_tokens: true })));
const decoded = ids.map((row) => (row.length ? tokenizer.decode(row, { skip_special_tokens: true }) : ""));
process.stdout.write(JSON.stringify({ ids, decoded }));
