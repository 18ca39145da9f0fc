// PostGraphile 5 (amber preset) over the bench database, one Node process, 127.0.0.1 only:
// what bench/postgraphile.py measures. DATABASE_URL and PORT come from it.
// No GraphiQL, no watch, no explain, no JWT. Pool of 10 pg connections (pg default).
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const port = Number(process.env.PORT ?? 5678);
const connectionString =
  process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/casegraph_bench";

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.POOL_MAX ?? 10) },
    }),
  ],
  grafserv: { port, host: "127.0.0.1", graphiql: false, watch: false, graphqlOverGET: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once("listening", () => {
  console.log(`postgraphile listening on http://127.0.0.1:${port}/graphql pid=${process.pid}`);
});
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, "127.0.0.1");

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
