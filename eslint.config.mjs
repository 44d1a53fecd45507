// eslint flat config: typescript-eslint's type-aware recommended rules on the TypeScript, eslint's recommended rules on
// the plain CommonJS scripts, and the import rule of docs/architecture.md (layers point down only) as
// no-restricted-imports per folder. test/import-direction.test.ts checks the cli/ part of the same rule on every
// import syntax; this config reports it in the editor and in CI, and adds the lower layers.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * A no-restricted-imports pattern forbidding relative imports of the given top-level folders (`./cli/...` from a root
 * file, `../cli`, `../../cli/common` from below). Package imports never match (`@backstage/config` is not config/).
 */
function forbid(folders, message) {
  return { regex: `^(\\./|(\\.\\./)+)(${folders.join("|")})(/|$)`, message };
}

const ENGINES = ["synth", "generate", "drift", "sync"];
const NO_CLI = forbid(
  ["cli"],
  "Nothing outside cli/ imports cli/ (docs/architecture.md, the import rule): pass options down instead.",
);
const NO_ENGINES = forbid(
  ENGINES,
  "The model (config/, org/, aws/, constructs/) does not import the engines (synth/, generate/, drift/, sync/).",
);
const NO_PROJECT = forbid(
  ["cli", ...ENGINES, "config", "org", "aws", "constructs", "templates"],
  "common/ is the bottom layer: it imports no other project folder.",
);
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "cdktf.out/**",
      "out/**",
      "coverage/**",
      "**/.gen/**",
      "**/fixtures/**",
      "**/*.d.ts",
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  js.configs.recommended,
  {
    rules: {
      // Control characters in a regular expression are the point wherever orgtrust has one: terminal-safe printing
      // (common/terminal.ts), XML, YAML, HCL and Markdown escaping, and the tests that feed hostile names to them.
      "no-control-regex": "off",
    },
  },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // An async function without await here implements a Promise-returning contract (an SDK credential provider or
      // retry strategy, an engine entry the CLI awaits, a test double of an async callback); making it sync would
      // break the contract or turn a rejection into a throw.
      "@typescript-eslint/require-await": "off",
      // `_name` marks a parameter or binding kept for its position (a callback's signature, a destructured rest).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Tests read JSON outputs, parsed YAML/INI/HCL and SDK answers (JSON.parse and the parsers return `any`) and check
    // their shape with expect(): that is the assertion, so typing every intermediate value would add casts and no safety.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // The cdktf example app imports the published package ("orgtrust"), which this checkout does not resolve to
    // itself: linted without type information.
    files: ["examples/**/*.ts"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The plain Node scripts: CommonJS, run as they are (bin/orgtrust has no extension and is listed by name).
    files: ["**/*.js", "bin/orgtrust"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
  // The import rule (docs/architecture.md): cli/ may import anything; nothing else imports cli/; the model imports no
  // engine; common/ imports no project folder. Tests drive the CLI and are outside the rule.
  {
    files: ["synth/**/*.ts", "generate/**/*.ts", "drift/**/*.ts", "sync/**/*.ts", "main.ts", "index.ts", "bench/**"],
    rules: restrict(NO_CLI),
  },
  {
    files: ["config/**/*.ts", "org/**/*.ts", "aws/**/*.ts", "constructs/**/*.ts"],
    rules: restrict(NO_CLI, NO_ENGINES),
  },
  { files: ["common/**/*.ts"], rules: restrict(NO_PROJECT) },
);
