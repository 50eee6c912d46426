// Drives the gateway with the unmodified official `openai` npm package and prints what it saw as
// JSON on stdout; the C# test (OpenAiClientTests) checks the values against the gateway's engine.
// Usage: node openai-client.mjs BASE_URL MODEL PROMPT
import OpenAI, { APIError } from "openai";

const [baseURL, model, prompt] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
const messages = [{ role: "user", content: prompt }];
const out = {};

out.models = (await client.models.list()).data.map((m) => m.id);

const completion = await client.completions.create({ model, prompt, max_tokens: 8, temperature: 0 });
out.completion = { text: completion.choices[0].text, finish_reason: completion.choices[0].finish_reason, usage: completion.usage };

const chat = await client.chat.completions.create({ model, messages, max_tokens: 10, temperature: 0 });
out.chat = {
  role: chat.choices[0].message.role,
  content: chat.choices[0].message.content,
  finish_reason: chat.choices[0].finish_reason,
  usage: chat.usage,
  route: chat.peerz?.route ?? null,
};

const stream = await client.chat.completions.create({ model, messages, max_tokens: 10, temperature: 0, stream: true, stream_options: { include_usage: true } });
out.stream = { deltas: [], finish_reason: null, usage: null, routes: [] };
for await (const chunk of stream) {
  for (const choice of chunk.choices) {
    if (choice.delta?.content) out.stream.deltas.push(choice.delta.content);
    if (choice.finish_reason) out.stream.finish_reason = choice.finish_reason;
  }
  if (chunk.usage) out.stream.usage = chunk.usage;
  // Peerz's additive field: the OpenAI client passes unknown fields through untouched.
  if (chunk.peerz?.route) out.stream.routes.push(chunk.peerz.route);
}

try {
  await client.chat.completions.create({ model: "no-such-model", messages, max_tokens: 4 });
  out.error = null;
} catch (e) {
  if (!(e instanceof APIError)) throw e;
  out.error = { class: e.constructor.name, status: e.status, type: e.type, param: e.param, message: e.error?.message };
}

console.log(JSON.stringify(out));
