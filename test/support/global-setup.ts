import { motoAvailable } from "./moto";

/** Runs once before all suites: a missing moto_server is a loud skip locally and a failure in CI. */
export default async function globalSetup(): Promise<void> {
  if (motoAvailable()) return;
  const msg = "moto_server is not installed: the AWS integration tests cannot run (install: pip install 'moto[server]').";
  if (process.env.CI === "true") throw new Error(`${msg} CI=true, so this is a failure.`);
  // eslint-disable-next-line no-console
  console.warn(`\n\n*** ${msg} They will be SKIPPED. ***\n\n`);
}
