// Runs the orgtrust CLI in this process and, on exit, writes its own CPU time and peak memory as JSON to the
// file named by ORGTRUST_BENCH_USAGE. Used by the benchmarks to measure orgtrust apart from moto and the proxy.
"use strict";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const fs = require("node:fs");
const path = require("node:path");
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const started = process.hrtime.bigint();
process.on("exit", () => {
  const u = process.resourceUsage();
  const out = process.env.ORGTRUST_BENCH_USAGE;
  // Which of the heavy libraries the command loaded (a command should load only what it uses).
  const loaded = Object.keys(require.cache);
  const heavy = {
    awsSdk: loaded.some((f) => /node_modules[\\/]@aws-sdk[\\/]client-/.test(f)),
    cdktf: loaded.some((f) => /node_modules[\\/](cdktf|@cdktf[\\/]provider-aws)[\\/]/.test(f)),
  };
  if (out)
    fs.writeFileSync(
      out,
      JSON.stringify({
        cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000,
        maxRssMb: u.maxRSS / 1024,
        wallMs: Number(process.hrtime.bigint() - started) / 1e6,
        heavy,
      }),
    );
});
require(path.join(__dirname, "..", "dist", "cli", "main.js")).main(process.argv);
