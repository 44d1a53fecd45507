import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import globalSetup from "../support/global-setup";
import { motoAvailable, WORKER_SERVERS_ENV } from "../support/moto";

/**
 * The integration project's global set-up when moto_server is not on PATH: one loud line and the integration suites
 * are skipped, except under CI=true, where the run fails. PATH is narrowed to a folder holding only `sh` (what
 * motoAvailable() runs), so moto_server is missing whether or not this machine has it; nothing is started.
 */
describe("the moto global set-up without moto_server", () => {
  const saved = { PATH: process.env.PATH, CI: process.env.CI, servers: process.env[WORKER_SERVERS_ENV] };
  let bare: string;
  beforeAll(() => {
    bare = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-no-moto-"));
    fs.symlinkSync(fs.existsSync("/bin/sh") ? "/bin/sh" : "/usr/bin/sh", path.join(bare, "sh"));
  });
  beforeEach(() => {
    process.env.PATH = bare;
    delete process.env[WORKER_SERVERS_ENV];
  });
  afterEach(() => {
    jest.restoreAllMocks();
    for (const [k, v] of Object.entries({ PATH: saved.PATH, CI: saved.CI, [WORKER_SERVERS_ENV]: saved.servers })) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(() => fs.rmSync(bare, { recursive: true, force: true }));

  test("the narrowed PATH hides moto_server (so the checks below can fail)", () => {
    expect(motoAvailable()).toBe(false);
  });

  test("locally: one loud warning that the integration tests are SKIPPED, nothing started, no failure", async () => {
    delete process.env.CI;
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    await expect(globalSetup({ maxWorkers: 2 })).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(
      /\*\*\* moto_server is not installed: the AWS integration tests cannot run \(install: pip install 'moto\[server\]'\)\. They will be SKIPPED\. \*\*\*/,
    );
    expect(process.env[WORKER_SERVERS_ENV]).toBeUndefined();
  });

  test("under CI=true: the set-up fails the run", async () => {
    process.env.CI = "true";
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    await expect(globalSetup({ maxWorkers: 2 })).rejects.toThrow(
      /moto_server is not installed.*CI=true, so this is a failure\./,
    );
    expect(warn).not.toHaveBeenCalled();
    expect(process.env[WORKER_SERVERS_ENV]).toBeUndefined();
  });
});
