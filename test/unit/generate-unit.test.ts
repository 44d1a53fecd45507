import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import Handlebars from "handlebars";
import * as ini from "ini";
import { parse as parseYaml } from "yaml";
import { unifiedDiff } from "../../generate/diff";
import { envValue, hclValue, iniValue, yamlList, yamlScalar } from "../../generate/escape";
import { alignHcl } from "../../common/hcl-format";
import { TEMPLATES_DIR } from "../../common/paths";
import { createEnvironment, precompiledTemplates, renderTemplate } from "../../generate/render";
import type { TemplateContext } from "../../generate/context";
import { toHcl } from "../../synth/hcl";
import { assignIdentifiers, slugify } from "../../generate/identifiers";

const TRICKY = [
  "yes",
  "no",
  "null",
  "~",
  "123456789012",
  "0123",
  "1e3",
  "a: b",
  "#x",
  "- item",
  "${X}",
  "[a]",
  "{b}",
  "a, b",
  "it's",
  'say "hi"',
  " lead",
  "trail ",
  "@at",
  "`tick`",
  "%pct",
  "*star",
  "&amp",
  "!tag",
  "|pipe",
  ">gt",
  "?q",
  "multi\nline",
  "tab\there",
  "ünïcödé",
  "",
];

describe("escaping", () => {
  test("yaml: every tricky string reads back as itself, in block and in flow context", () => {
    for (const s of TRICKY) {
      expect(parseYaml(`key: ${yamlScalar(s)}\n`)).toEqual({ key: s });
      expect(parseYaml(`key: [${yamlScalar(s)}, x]\n`)).toEqual({ key: [s, "x"] });
    }
    expect(parseYaml(`k: ${yamlList(TRICKY)}\n`)).toEqual({ k: TRICKY });
    // YAML 1.1 readers (PyYAML for c7n-org) take these as booleans or base-60 numbers: they must be quoted.
    for (const s of ["yes", "No", "on", "OFF", "y", "12:30", "0o17", ".5", "<<", "="])
      expect(yamlScalar(s)).toBe(JSON.stringify(s));
    expect(yamlScalar("arn:aws:iam::123456789012:role/x")).toBe("arn:aws:iam::123456789012:role/x");
    expect(parseYaml(`k: ${yamlScalar("a:b")}\nl: [${yamlScalar("a:b")}]\n`)).toEqual({ k: "a:b", l: ["a:b"] });
    expect(yamlScalar(30)).toBe("30");
    expect(() => yamlScalar({ a: 1 })).toThrow("yaml expects a string, number or boolean, got an object");
  });

  test("hcl: strings (with ${, %{, quotes, control characters) read back as themselves", async () => {
    const values = [...TRICKY, "${var.x}", "%{ if }", "back\\slash", "bell\u0007", "\u2028"];
    const text = values.map((v, i) => `a${i} = ${hclValue(v)}`).join("\n");
    const parsed: any = await parseHcl("t.tf", `locals {\n${text}\n}\n`);
    // hcl2json keeps literal template sequences escaped ($${ -> ${ is only undone by terraform itself).
    values.forEach((v, i) => expect(parsed.locals[0][`a${i}`].replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")).toBe(v));
    expect(hclValue(["a", 1, true])).toBe('["a", 1, true]');
    expect(() => hclValue([{}])).toThrow("hcl list item expects");
  });

  test("ini: plain values pass, what the format cannot hold is refused", () => {
    expect(ini.parse(`[s]\nk = ${iniValue("arn:aws:iam::1:role/x")}\n`)).toEqual({ s: { k: "arn:aws:iam::1:role/x" } });
    for (const bad of ["two\nlines", " lead", "trail ", "#comment", ";comment", '"quoted'])
      expect(() => iniValue(bad)).toThrow(/ini cannot represent/);
  });

  test("env: safe values unquoted; others quoted; ${ refused (python-dotenv expands it even in single quotes)", () => {
    expect(envValue("arn:aws:iam::1:role/x")).toBe("arn:aws:iam::1:role/x");
    expect(envValue('["a","b"]')).toBe(`'["a","b"]'`);
    expect(() => envValue("${HOME}")).toThrow(/env cannot represent a value holding \$\{/);
    expect(envValue("a\\b")).toBe('"a\\\\b"');
    expect(envValue("it's")).toBe('"it\'s"');
    expect(() => envValue("it's ${X}")).toThrow();
    expect(() => envValue("a\nb")).toThrow();
  });
});

describe("identifiers", () => {
  test("slug styles", () => {
    expect(slugify("  CI/CD Prod ", "kebab")).toBe("ci-cd-prod");
    expect(slugify("CI/CD Prod", "snake")).toBe("ci_cd_prod");
    // Backstage's aws-org normalisation, trimmed to start and end with a letter or digit.
    expect(slugify("CI/CD Prod", "backstage")).toBe("ci-cd-prod");
    expect(slugify("-Ops--Team!", "backstage")).toBe("ops--team");
    expect(slugify("Café Ünïcode", "snake")).toBe("cafe_unicode");
    expect(slugify("日本", "kebab")).toBe("");
  });

  test("a snake slug is the kebab slug with _ for - (computed from it), for names of every kind", () => {
    // The snake rule as written: lower-case (NFKD, marks dropped), runs outside [a-z0-9] to one "_", ends trimmed.
    const snakeRule = (name: string) =>
      name
        .trim()
        .toLocaleLowerCase("en-US")
        .normalize("NFKD")
        .replace(/[\u0300-\u036f]/g, "")
        .replace(/[^a-z0-9]+/g, "_")
        .replace(/^_+|_+$/g, "");
    const names = ["", " ", "-", "_", "--a--", "__a__", "a-b_c", "A_B-C", "-_-x-_-", "Team 1099 Staging", "CI/CD Prod"];
    names.push("Café Ünïcode", "日本", "Ölçü-Ş_ş", "\u00e9\u0301-x", " trailing_ ", "x\u2028y");
    for (const name of names) {
      // Each name is new to the caches in one of the two orders (snake first, or kebab first).
      expect([name, slugify(name, "snake")]).toEqual([name, snakeRule(name)]);
      expect([name, slugify(`${name}!`, "kebab"), slugify(`${name}!`, "snake")]).toEqual([
        name,
        slugify(`${name}!`, "kebab"),
        snakeRule(`${name}!`),
      ]);
    }
  });

  test("collisions: every member of a colliding group gets its ID; deterministic whatever the order", () => {
    const items = [
      { key: "222222222222", name: "Payments" },
      { key: "111111111111", name: "payments" },
      { key: "333333333333", name: "Other" },
      { key: "444444444444", name: "日本" },
      { key: "555555555555", name: "default" },
    ];
    const a = assignIdentifiers("profile", items, { style: "kebab", maxLength: 64 }, ["default"]);
    const b = assignIdentifiers("profile", [...items].reverse(), { style: "kebab", maxLength: 64 }, ["default"]);
    expect([...a.names.entries()].sort()).toEqual([...b.names.entries()].sort());
    expect(Object.fromEntries(a.names)).toEqual({
      "111111111111": "payments-111111111111",
      "222222222222": "payments-222222222222",
      "333333333333": "other",
      "444444444444": "account-444444444444",
      "555555555555": "default-555555555555",
    });
    expect(a.collisions.map((c) => [c.identifier, c.items.length, !!c.reserved])).toEqual([
      ["default", 1, true],
      ["payments", 2, false],
    ]);
  });

  test("a suffixed name never takes a name another account has, and lengths are capped", () => {
    const items = [
      { key: "111111111111", name: "a" },
      { key: "222222222222", name: "A" },
      { key: "333333333333", name: "a 111111111111" },
    ];
    const r = assignIdentifiers("x", items, { style: "snake", maxLength: 63, prefix: "aws_" });
    const names = [...r.names.values()];
    expect(new Set(names).size).toBe(3);
    expect(r.names.get("333333333333")).toBe("aws_a_111111111111");
    expect(r.names.get("111111111111")).toBe("aws_a_111111111111_2");
    const long = assignIdentifiers(
      "x",
      [
        { key: "1", name: "x".repeat(100) },
        { key: "2", name: "X".repeat(100) },
      ],
      { style: "backstage", maxLength: 63 },
    );
    for (const n of long.names.values()) expect(n.length).toBeLessThanOrEqual(63);
    expect(
      assignIdentifiers("x", [{ key: "1", name: "42 Labs" }], {
        style: "snake",
        maxLength: 64,
        leadingLetter: "account_",
      }).names.get("1"),
    ).toBe("account_42_labs");
  });
});

describe("terraform fmt alignment", () => {
  test("aligns chains of one-line attributes; multi-line openers, blocks and blanks break the chain", () => {
    const text = [
      'resource "a" "b" {',
      "  x = 1",
      '  longer = "a = b"',
      "  c = jsonencode({",
      "    a = 1",
      "    bbb = [1, 2]",
      "  })",
      "  zz = 3",
      "",
      "  q = { a = 1 }",
      "}",
    ].join("\n");
    expect(alignHcl(text)).toBe(
      [
        'resource "a" "b" {',
        "  x      = 1",
        '  longer = "a = b"',
        "  c = jsonencode({",
        "    a   = 1",
        "    bbb = [1, 2]",
        "  })",
        "  zz = 3",
        "",
        "  q = { a = 1 }",
        "}",
      ].join("\n"),
    );
  });

  test("synth --hcl and generated HCL share one rule: synth's output, its alignment undone, re-aligns to itself", () => {
    // synth/hcl.ts knows which lines are attributes; alignHcl finds them in text. Both go through alignAssignments.
    const doc = {
      provider: { aws: [{ region: "us-east-1", alias: "a" }] },
      resource: {
        aws_iam_role: {
          r: {
            name: "n",
            path: "/x/",
            max_session_duration: 3600,
            assume_role_policy:
              '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::1:root"}}]}',
            tags: { "a = b": "c", long_tag_name: "v" },
          },
        },
      },
    };
    const hcl = toHcl(doc);
    expect(hcl).toMatch(/\n {2}name {2,}= "n"\n/);
    const unaligned = hcl.replace(/^( *[^ \n=#][^=\n]*?) +=/gm, "$1 =");
    expect(unaligned).not.toBe(hcl);
    expect(alignHcl(unaligned)).toBe(hcl);
  });
});

describe("check diff", () => {
  test("short unified diff with context, and missing files", () => {
    const old = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const edited = old.replace("line 10\n", "line ten\n");
    const d = unifiedDiff("f.txt", old, edited);
    expect(d).toBe(
      [
        "--- f.txt (on disk)",
        "+++ f.txt (generated)",
        "@@ -8,7 +8,7 @@",
        " line 7",
        " line 8",
        " line 9",
        "-line 10",
        "+line ten",
        " line 11",
        " line 12",
        " line 13",
        "",
      ].join("\n"),
    );
    expect(unifiedDiff("f.txt", old, old)).toBe("");
    expect(unifiedDiff("f.txt", null, "a\nb\n")).toBe(
      ["--- f.txt (missing)", "+++ f.txt (generated)", "@@ -0,0 +1,2 @@", "+a", "+b", ""].join("\n"),
    );
    const big = unifiedDiff("f.txt", "", Array.from({ length: 500 }, (_, i) => `${i}`).join("\n"), 20);
    expect(big.split("\n").length).toBeLessThan(30);
    expect(big).toContain("more diff lines");
  });
});

describe("template environment", () => {
  // createEnvironment joins {{#each}} output in chunks (generate/render.ts registerChunkedEach): whatever a custom
  // template does with each, it must render exactly what handlebars' own each renders, errors included.
  const items = Array.from({ length: 150 }, (_, i) => ({ id: `a${i}`, tags: { k: `v${i}`, o: i } }));
  const ctx = { items, none: [], obj: { x: 1, y: { z: 2 } }, nested: [items.slice(0, 70), [], items.slice(0, 3)] };
  const templates = [
    "{{#each items}}{{@index}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}}:{{id}},{{/each}}",
    "{{#each items as |item i|}}{{i}}={{item.id}} {{#each item.tags}}{{@key}}:{{this}}/{{@../index}};{{/each}}\n{{/each}}",
    "{{#each none}}x{{else}}empty{{/each}}|{{#each obj}}{{@key}}{{@last}}{{else}}no{{/each}}",
    "{{#each nested}}[{{#each this}}{{id}}{{@root.items.length}}{{else}}-{{/each}}]{{/each}}",
  ];
  const errors = ["{{each}}", "{{each items}}", "{{#each}}x{{/each}}", "{{#each items}}{{nope}}{{/each}}"];

  test("{{#each}} renders exactly what handlebars' own each renders", () => {
    // orgtrust's environments are handlebars' runtime (templates run from their compiled form), so both sides run
    // the same compiled template: one in a stock environment, one in orgtrust's.
    const env = createEnvironment(fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-env-")));
    const stock = Handlebars.create();
    const compileIn = (h: typeof Handlebars, t: string) => {
      const code = Handlebars.precompile(t, { strict: true, noEscape: true }) as unknown as string;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const spec = new Function(`return ${code};`) as () => TemplateSpecification;
      return h.template(spec());
    };
    for (const t of templates) {
      const want = compileIn(stock, t)(ctx);
      expect(want.length).toBeGreaterThan(5);
      expect(compileIn(env, t)(ctx)).toBe(want);
    }
    for (const t of errors) {
      const message = (h: typeof Handlebars) => {
        try {
          compileIn(h, t)(ctx);
        } catch (e) {
          return (e as Error).message;
        }
        return "no error";
      };
      expect(message(env)).toBe(message(stock));
      expect(message(stock)).not.toBe("no error");
    }
  });

  test("templates/precompiled.json is current (after editing a template: npx tsc -p tsconfig.json && node scripts/precompile-templates.js)", () => {
    // generate uses an entry only for the source it was compiled from, so a stale file would only slow runs down:
    // this test is what notices it.
    const onDisk = fs.readFileSync(path.join(TEMPLATES_DIR, "precompiled.json"), "utf8");
    expect(onDisk === precompiledTemplates()).toBe(true);
    expect(Object.keys((JSON.parse(onDisk) as { templates: object }).templates).length).toBeGreaterThanOrEqual(12);
  });

  test("a custom template is compiled once per source: an edited file renders its new text, in any environment", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-tpl-"));
    const file = path.join(dir, "inv.hbs");
    const ctx = { accounts: [{ id: "111111111111" }, { id: "222222222222" }] } as unknown as TemplateContext;
    const render = () => renderTemplate(createEnvironment(dir), file, ctx, "text", "inv.txt");
    fs.writeFileSync(file, "{{#each accounts}}{{id}}\n{{/each}}");
    expect(render()).toBe("111111111111\n222222222222\n");
    expect(render()).toBe("111111111111\n222222222222\n");
    fs.writeFileSync(file, "{{#each accounts}}- {{id}}\n{{/each}}");
    expect(render()).toBe("- 111111111111\n- 222222222222\n");
    fs.writeFileSync(file, "{{#each accounts}}\n{{nope}}\n{{/each}}\n");
    expect(render).toThrow(/inv\.hbs:2: unknown variable or helper "nope"/);
  });
});
