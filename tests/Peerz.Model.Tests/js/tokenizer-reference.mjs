// Independent reference for Peerz's tokenizer tests: @lenml/tokenizers (a port of transformers.js)
// loads a tokenizer.json (+ optional tokenizer_config.json) and encodes/decodes a batch of texts.
// stdin:  {"tokenizer": path, "config": path|null, "texts": [...], "decode": [[ids]...]}
// stdout: {"ids": [[...]...], "idsNoSpecial": [[...]...], "decoded": ["..."...], "vocabSize": n}
import { readFileSync } from "node:fs";
import { TokenizerLoader } from "@lenml/tokenizers";

const request = JSON.parse(readFileSync(0, "utf8"));
const tokenizerJSON = JSON.parse(readFileSync(request.tokenizer, "utf8"));
const tokenizerConfig = request.config ? JSON.parse(readFileSync(request.config, "utf8")) : {};
const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
const encode = (text, add_special_tokens) => Array.from(tokenizer.encode(text, { add_special_tokens }));
const ids = request.texts.map((text) => encode(text, true));
const idsNoSpecial = request.texts.map((text) => encode(text, false));
// clean_up_tokenization_spaces is off: it is a lossy transformers post-edit, not part of tokenizer.json.
const decoded = (request.decode ?? []).map((row) =>
  row.length === 0 ? "" : tokenizer.decode(row, { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
process.stdout.write(JSON.stringify({ ids, idsNoSpecial, decoded, vocabSize: tokenizer.model.vocab.length }));
