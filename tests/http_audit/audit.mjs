// Runs graphql-http's server audits (the GraphQL-over-HTTP spec's MUST / SHOULD / MAY
// checks) against a live server and prints one JSON line per audit plus a summary.
// Usage: node audit.mjs <url> [bearer token]; exit code 1 when any MUST fails.
import { serverAudits } from "graphql-http";

const [url, token] = process.argv.slice(2);
if (!url || !url.startsWith("http://127.0.0.1:")) {
  console.error("usage: node audit.mjs http://127.0.0.1:<port>/graphql [token]");
  process.exit(2);
}
const authorized = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const counts = { ok: 0, warn: 0, error: 0 };
const failedMusts = [];
for (const audit of serverAudits({ url, fetchFn: authorized })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  if (result.status === "error" && audit.name.startsWith("MUST")) failedMusts.push(audit.name);
  const line = { id: audit.id, name: audit.name, status: result.status };
  if (result.status !== "ok") {
    line.reason = result.reason;
    try {
      line.body = await result.response.clone().text();
      line.httpStatus = result.response.status;
    } catch {}
  }
  console.log(JSON.stringify(line));
}
console.log(JSON.stringify({ summary: counts, failedMusts }));
process.exit(failedMusts.length ? 1 : 0);
