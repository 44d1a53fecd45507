import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The consumers' own readers, batched: one python3 process reads many YAML documents with PyYAML (YAML 1.1, what
 * c7n-org loads accounts.yml with: cloud-custodian tools/c7n_org/c7n_org/cli.py, init(): yaml.safe_load), dotenv
 * files with python-dotenv (what pydantic settings in Port Ocean read a .env with), AWS config files with
 * configparser and XML with expat; one `terraform console` evaluates many HCL expressions. Each returns one
 * result per input, in order.
 */

export type ReadResult = { ok: true; value: unknown } | { ok: false; error: string };

const PY = String.raw`
import configparser, io, json, sys
import xml.etree.ElementTree as ET
import yaml
from dotenv import dotenv_values

def read(kind, text):
    if kind == "yaml":
        return list(yaml.safe_load_all(text))
    if kind == "dotenv":
        return dotenv_values(stream=io.StringIO(text), interpolate=True)
    if kind == "ini":
        # botocore.configloader.raw_config_parse reads ~/.aws/config with RawConfigParser.
        p = configparser.RawConfigParser()
        p.read_string(text)
        return {s: dict(p.items(s)) for s in p.sections()}
    if kind == "xml":
        root = ET.fromstring(text.encode("utf-8"))
        return {"attrib": root.attrib, "text": root.text or ""}
    raise ValueError(kind)

out = []
for item in json.load(sys.stdin):
    try:
        value = read(item["kind"], item["text"])
        # A reader that produced unpaired surrogates (e.g. from \\ud83d\\ude00 escapes) did not read the text the
        # way it was meant: encoding to UTF-8 fails on them, as it would in the consumer.
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
        out.append({"ok": True, "value": value})
    except Exception as e:
        msg = str(e).splitlines()[0] if str(e) else ""
        out.append({"ok": False, "error": type(e).__name__ + ": " + msg})
sys.stdout.write(json.dumps(out, default=str))
`;

export type ReaderKind = "yaml" | "dotenv" | "ini" | "xml";

/**
 * One python3 process reads every item with the consumer's own reader: PyYAML safe_load_all (YAML 1.1), python-dotenv
 * (with interpolation), configparser.RawConfigParser (botocore's reader of the AWS config file), expat through
 * xml.etree (a strict XML 1.0 parser). The environment is minimal, so dotenv interpolation sees no variables.
 */
export function readWithPython(items: Array<{ kind: ReaderKind; text: string }>): ReadResult[] {
  if (!items.length) return [];
  const r = spawnSync("python3", ["-c", PY], {
    input: JSON.stringify(items),
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONIOENCODING: "utf-8" },
  });
  if (r.status !== 0) throw new Error(`python3 readers failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as ReadResult[];
}

/** Every YAML text read by PyYAML's safe_load_all (each result is the list of its documents). */
export function readYaml11(texts: string[]): ReadResult[] {
  return readWithPython(texts.map((text) => ({ kind: "yaml" as const, text })));
}

/** terraform on PATH (checked once). */
export const HAS_TERRAFORM = spawnSync("terraform", ["version"], { encoding: "utf8" }).status === 0;

/**
 * Evaluates HCL expressions with `terraform console` (no provider, no state: plain expressions only) and returns
 * each value (JSON-decoded). All expressions go into one locals block and one console run; the value comes back as
 * base64 of jsonencode, so the console's own string quoting does not matter. An expression Terraform refuses fails
 * the whole batch: callers give only expressions they expect to be valid.
 */
export function terraformEval(expressions: string[]): unknown[] {
  if (!expressions.length) return [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-tfconsole-"));
  try {
    const body = expressions.map((e, i) => `  v${i} = ${e}`).join("\n");
    fs.writeFileSync(path.join(dir, "main.tf"), `locals {\n${body}\n}\n`);
    fs.writeFileSync(path.join(dir, "cli.tfrc"), "");
    const list = expressions.map((_, i) => `local.v${i}`).join(", ");
    const r = spawnSync("terraform", ["console"], {
      cwd: dir,
      input: `base64encode(jsonencode([${list}]))\n`,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        TF_CLI_CONFIG_FILE: path.join(dir, "cli.tfrc"),
        TF_IN_AUTOMATION: "1",
        CHECKPOINT_DISABLE: "1",
      },
    });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    if (r.status !== 0 || !/^"[A-Za-z0-9+/=]*"$/.test(line))
      throw new Error(`terraform console failed (${r.status}): ${r.stderr}${r.stdout.slice(0, 2000)}`);
    return JSON.parse(Buffer.from(line.slice(1, -1), "base64").toString("utf8")) as unknown[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Says loudly that a terraform-evaluated check is skipped; under CI=true a missing terraform is a failure. */
export function requireTerraform(what: string): boolean {
  if (HAS_TERRAFORM) return true;
  if (process.env.CI === "true")
    throw new Error(`terraform is not on PATH: ${what} cannot run (CI=true makes this a failure)`);
  console.warn(`SKIPPED: terraform is not on PATH, so ${what} is not checked`);
  return false;
}
