import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, runCli } from "../support/cli";

/**
 * The README and the pages under docs/ stay true:
 * - every relative link resolves to an existing file, and every #anchor to a heading of the page it points at
 *   (GitHub's slug rules, github/cmark-gfm's anchors as github-slugger computes them: lower-cased, every character
 *   that is not a letter, mark, digit, connector, space or hyphen removed, spaces turned into hyphens, a repeated
 *   slug suffixed -1, -2, ...);
 * - every `orgtrust <command>` in a shell code block, a workflow's `npx orgtrust` (YAML) or a whole inline code span names a command and options that `orgtrust <command> --help`
 *   lists;
 * - the README's examples that run offline on the bundled example org run and exit 0.
 * Each rule is also run on a broken sample, so the checks themselves can fail.
 */

function docFiles(): string[] {
  const out = [path.join(REPO, "README.md")];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith(".md")) out.push(path.join(dir, e.name));
    }
  };
  walk(path.join(REPO, "docs"));
  return out.sort();
}

interface Block {
  lang: string;
  lines: string[];
}

/** Splits markdown into the lines outside fenced code and the fenced blocks (with their info string). */
function parse(md: string): { prose: string[]; blocks: Block[] } {
  const prose: string[] = [];
  const blocks: Block[] = [];
  let open: { fence: string; block: Block } | null = null;
  for (const line of md.split("\n")) {
    const m = /^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (open) {
      if (m && m[1][0] === open.fence[0] && m[1].length >= open.fence.length && line.trim() === m[1]) open = null;
      else open.block.lines.push(line);
    } else if (m) {
      open = { fence: m[1], block: { lang: m[2].toLowerCase(), lines: [] } };
      blocks.push(open.block);
    } else prose.push(line);
  }
  return { prose, blocks };
}

/** github-slugger's slug of a heading's text (inline markup as GitHub renders it: code spans keep their text). */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/[*`]/g, ""); // emphasis and code markers
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of parse(md).prose) {
    const m = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every broken relative link of one page, as "file: [text](target): why". */
function brokenLinks(file: string, md: string, read: (f: string) => string | undefined): string[] {
  const problems: string[] = [];
  const rel = path.relative(REPO, file);
  for (const line of parse(md).prose) {
    const noCode = line.replace(/`+[^`]*`+/g, "");
    for (const m of noCode.matchAll(/\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[2];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [p, anchor] = target.split("#", 2) as [string, string | undefined];
      const dest = p === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(p));
      if (!dest.startsWith(REPO + path.sep) && dest !== REPO) {
        problems.push(`${rel}: [${m[1]}](${target}): points outside the repository`);
        continue;
      }
      const text = dest === file ? md : read(dest);
      if (text === undefined) {
        problems.push(`${rel}: [${m[1]}](${target}): ${path.relative(REPO, dest)} does not exist`);
        continue;
      }
      if (anchor !== undefined && dest.endsWith(".md") && !anchors(text).has(anchor)) {
        problems.push(
          `${rel}: [${m[1]}](${target}): no heading with the anchor #${anchor} in ${path.relative(REPO, dest)}`,
        );
      }
    }
  }
  return problems;
}

const readRepoFile = (f: string): string | undefined => {
  if (!fs.existsSync(f)) return undefined;
  return fs.statSync(f).isDirectory() ? "" : fs.readFileSync(f, "utf8");
};

const SHELL = new Set(["sh", "bash", "shell", "console", "zsh"]);

/** The orgtrust command lines of a page's shell blocks: continuation lines joined, comments and pipes cut off. */
function orgtrustCommands(md: string, { inline = true }: { inline?: boolean } = {}): string[][] {
  const out: string[][] = [];
  for (const b of parse(md).blocks) {
    // Shell blocks, and the `run:` steps of workflow files (YAML), where orgtrust runs as `npx orgtrust`.
    const yaml = b.lang === "yaml" || b.lang === "yml";
    if (!SHELL.has(b.lang) && !yaml) continue;
    const joined = b.lines.join("\n").replace(/\\\n/g, " ").split("\n");
    for (const full of joined) {
      const line = full.replace(/(^|\s)#.*$/, ""); // a shell comment
      for (const m of line.matchAll(
        yaml ? /(?:^|[\s;&|(])npx\s+orgtrust(?=\s)(.*)$/g : /(?:^|[\s;&|(])(?:\.\/bin\/|npx\s+)?orgtrust(?=\s)(.*)$/g,
      )) {
        const rest = m[1].split(/\s\||&&|;|\s>|\)/)[0];
        const words = rest.trim().split(/\s+/).filter(Boolean);
        if (words.length) out.push(words);
      }
    }
  }
  // Inline code in prose that is a whole command (`orgtrust synth --hcl`), as in the README's command table.
  for (const line of inline ? parse(md).prose : []) {
    for (const m of line.matchAll(/`(?:npx )?orgtrust ([a-z][^`]*)`/g)) out.push(m[1].trim().split(/\s+/));
  }
  return out;
}

interface CliSpec {
  commands: Map<string, Set<string>>;
  global: Set<string>;
}

const optionsOf = (help: string) =>
  new Set([...help.matchAll(/^\s+((?:-\w, )?--[\w-]+(?:, --[\w-]+)?)/gm)].flatMap((m) => m[1].split(/,\s*/)));

async function cliSpec(): Promise<CliSpec> {
  const top = await runCli(["--help"]);
  expect(top.code).toBe(0);
  const names = [...top.stdout.split(/^Commands:$/m)[1].matchAll(/^ {2}([a-z]+)\b/gm)]
    .map((m) => m[1])
    .filter((n) => n !== "help");
  const helps = await Promise.all(names.map((n) => runCli([n, "--help"])));
  const commands = new Map<string, Set<string>>();
  names.forEach((n, k) => {
    expect(helps[k].code).toBe(0);
    commands.set(n, optionsOf(helps[k].stdout));
  });
  return { commands, global: optionsOf(top.stdout.split(/^Commands:$/m)[0]) };
}

/** What is wrong with one `orgtrust ...` word list, or null. */
function badCommand(words: string[], spec: CliSpec): string | null {
  const [cmd, ...args] = words;
  if (cmd.startsWith("-")) return spec.global.has(cmd) ? null : `unknown option ${cmd} of orgtrust`;
  const flags = spec.commands.get(cmd);
  if (!flags) return `unknown command "${cmd}"`;
  for (const a of args) {
    if (!a.startsWith("-") || a === "-" || a === "--") continue;
    const flag = a.split("=")[0];
    if (!flags.has(flag)) return `unknown option ${flag} of orgtrust ${cmd}`;
  }
  return null;
}

describe("README and docs/", () => {
  const files = docFiles();

  test("the README is a front page: under 300 lines, the two commands, a row per command, links to docs/", async () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    expect(readme.split("\n").length).toBeLessThan(300);
    const shell = parse(readme)
      .blocks.filter((b) => SHELL.has(b.lang))
      .flatMap((b) => b.lines);
    // CI's .ci/run reads the test command from here.
    expect(shell.some((l) => /^npm test\b/.test(l))).toBe(true);
    expect(shell.some((l) => /\.\/bin\/orgtrust example\b/.test(l))).toBe(true);
    const spec = await cliSpec();
    expect([...spec.commands.keys()].sort()).toEqual([
      "discover",
      "drift",
      "example",
      "generate",
      "init",
      "sync",
      "synth",
    ]);
    for (const c of spec.commands.keys())
      expect(readme).toMatch(new RegExp(`^\\| \`${c}\` \\|.*\\| \`orgtrust ${c}[ \`]`, "m"));
    for (const page of [
      "commands",
      "config",
      "consumers",
      "synth-and-deploy",
      "drift-and-ci",
      "sync",
      "security",
      "performance",
      "architecture",
      "development",
      "README",
    ]) {
      expect(readme).toContain(`](docs/${page}.md`);
    }
  }, 60_000);

  test("every relative link resolves to a file, and every #anchor to a heading of that page", () => {
    expect(files.length).toBeGreaterThan(10);
    const problems = files.flatMap((f) => brokenLinks(f, fs.readFileSync(f, "utf8"), readRepoFile));
    expect(problems).toEqual([]);
  });

  test("the link check finds a missing file, a missing anchor and GitHub's slugs", () => {
    const sample =
      "# Top\n\n## Deploy: `orgtrust synth` (HCL)\n\n## Deploy: `orgtrust synth` (HCL)\n\n```sh\n# not a heading\n```\n";
    expect([...anchors(sample)]).toEqual(["top", "deploy-orgtrust-synth-hcl", "deploy-orgtrust-synth-hcl-1"]);
    expect(slug("`integrations.<name>`")).toBe("integrationsname");
    expect(slug("1. backstage")).toBe("1-backstage");
    expect(slug("Drift in CI: `orgtrust drift`")).toBe("drift-in-ci-orgtrust-drift");
    const file = path.join(REPO, "docs", "sample.md");
    const md = `${sample}\n[a](#deploy-orgtrust-synth-hcl-1) [b](#not-here) [c](nope.md) [d](config.md#no-such-heading) [e](../README.md#install) \`[f](inline-code.md)\`\n`;
    expect(brokenLinks(file, md, readRepoFile)).toEqual([
      "docs/sample.md: [b](#not-here): no heading with the anchor #not-here in docs/sample.md",
      "docs/sample.md: [c](nope.md): docs/nope.md does not exist",
      "docs/sample.md: [d](config.md#no-such-heading): no heading with the anchor #no-such-heading in docs/config.md",
    ]);
  });

  test("every orgtrust command in a shell code block or an inline command names a real command and real options", async () => {
    const spec = await cliSpec();
    let seen = 0;
    const problems: string[] = [];
    for (const f of files) {
      for (const words of orgtrustCommands(fs.readFileSync(f, "utf8"))) {
        seen++;
        const bad = badCommand(words, spec);
        if (bad) problems.push(`${path.relative(REPO, f)}: orgtrust ${words.join(" ")}: ${bad}`);
      }
    }
    expect(problems).toEqual([]);
    expect(seen).toBeGreaterThan(40);
    // The check can fail.
    expect(badCommand(["synth", "--hcl", "--nope"], spec)).toBe("unknown option --nope of orgtrust synth");
    expect(badCommand(["deploy"], spec)).toBe('unknown command "deploy"');
    expect(
      orgtrustCommands(
        "```sh\nnpx orgtrust drift --deep \\\n  --format json > x.json   # a comment\ngh workflow run orgtrust-sync.yml\n```\n",
      ),
    ).toEqual([["drift", "--deep", "--format", "json"]]);
    expect(
      orgtrustCommands(
        "```yaml\n      - run: npx orgtrust drift --nope >> x.md\n# npx orgtrust sync\nname: orgtrust drift\n```\n",
      ),
    ).toEqual([["drift", "--nope"]]);
  }, 60_000);

  test("the README's examples on the bundled example org run offline and exit 0", async () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const runnable = orgtrustCommands(readme, { inline: false }).filter(
      (w) =>
        w[0] === "example" ||
        (w.includes("examples/orgtrust.yaml") && !w.some((a) => /^--(profile|role-arn)$/.test(a))),
    );
    const unique = [...new Map(runnable.map((w) => [w.join(" "), w])).values()];
    expect(unique.length).toBeGreaterThanOrEqual(5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-docs-"));
    try {
      fs.cpSync(path.join(REPO, "examples"), path.join(dir, "examples"), { recursive: true });
      for (const words of unique) {
        const r = await runCli(words, { cwd: dir, env: { AWS_ENDPOINT_URL: "http://127.0.0.1:9" } }); // any AWS call fails fast
        if (r.code !== 0) throw new Error(`orgtrust ${words.join(" ")} exited ${r.code}: ${r.stderr}`);
      }
      expect(fs.existsSync(path.join(dir, "out", "example"))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
