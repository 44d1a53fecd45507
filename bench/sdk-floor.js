// The floor under orgtrust's discovery CPU: a bare AWS SDK v3 Organizations client (no orgtrust code, default
// settings, keep-alive) making CALLS requests, CONCURRENCY at a time, against ENDPOINT. Prints its own CPU time
// (user + system, start-up included, as bench/measure-child.js measures orgtrust) as JSON on stdout.
// Run by bench/discover.ts with the clean run's call count, so "CPU per account" can be read against what the SDK
// alone costs for the same number of requests.
"use strict";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const started = process.hrtime.bigint();
const { OrganizationsClient, ListRootsCommand, ListTagsForResourceCommand } = require("@aws-sdk/client-organizations");

async function main() {
  const [endpoint, callsArg, concurrencyArg] = process.argv.slice(2);
  const calls = Number(callsArg);
  const client = new OrganizationsClient({ region: "us-east-1", endpoint });
  const roots = await client.send(new ListRootsCommand({}));
  const id = roots.Roots[0].Id;
  let left = calls - 1;
  await Promise.all(
    Array.from({ length: Number(concurrencyArg) }, async () => {
      while (left-- > 0) await client.send(new ListTagsForResourceCommand({ ResourceId: id }));
    }),
  );
  client.destroy();
  const u = process.resourceUsage();
  process.stdout.write(
    JSON.stringify({
      calls,
      cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000,
      wallMs: Number(process.hrtime.bigint() - started) / 1e6,
    }),
  );
}
main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
