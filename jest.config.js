/**
 * Three jest projects, one per kind of test (docs/development.md, "Tests by kind"):
 * - unit: in-process, needs nothing running (no moto_server, no CLI child process, no terraform init/apply);
 * - e2e: spawns ./bin/orgtrust (built dist/) or packs and installs the package, offline, no moto_server;
 * - integration: real SDK calls against moto_server, the fault proxy, real terraform.
 * Only the integration project has the moto global set-up: jest runs a project's globalSetup/globalTeardown only
 * when at least one test of that project runs (jestjs/jest docs/Configuration.md "globalSetup", commit a2ad80a7:
 * "A global setup module configured in a project (using multi-project runner) will be triggered only when you run
 * at least one test from this project"), so `jest --selectProjects unit` (npm run test:unit) never starts moto_server.
 * globalSetup and globalTeardown are project options here, never root options: a root one runs for every project.
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: "node",
  testMatch: ["**/*.test.ts"],
  modulePathIgnorePatterns: ["<rootDir>/dist/", "<rootDir>/cdktf.out/"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  setupFilesAfterEnv: ["<rootDir>/test/support/setup-after-env.ts"],
  testTimeout: 120000,
};

module.exports = {
  testTimeout: 120000,
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: "unit", roots: ["<rootDir>/test/unit"] },
    { ...shared, displayName: "e2e", roots: ["<rootDir>/test/e2e"] },
    {
      ...shared,
      displayName: "integration",
      roots: ["<rootDir>/test/integration"],
      globalSetup: "<rootDir>/test/support/global-setup.ts",
      globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    },
  ],
};
