/**
 * Redaction of external-ID fields in generated files, whatever their value. `generate --check` and
 * `drift --generated` show diffs between a file on disk and what orgtrust renders now; the file on disk may hold
 * an external ID orgtrust no longer knows (written with --inline-secrets before a rotation, or pasted by hand), so
 * redacting only the values of the current run leaks the old one into CI logs and job summaries. Both sides of a
 * diff go through redactExternalIdFields first.
 *
 * Where the built-in consumers carry an external ID (each key matches EXTERNAL_ID_KEY):
 *   c7n-org accounts.yml            `external_id:` per account (--inline-secrets)
 *   cloudquery aws.yml              `external_id:` (admin account), `member_external_id:`
 *   backstage app-config.yaml       `externalId:` (accountDefaults and the discovery account)
 *   port-ocean .env                 `OCEAN__INTEGRATION__CONFIG__EXTERNAL_ID=`
 *   port-ocean values.yaml          `externalId:` under secrets; the `--set-string ...externalId=` comment
 *   aws-cli / steampipe aws-config  `external_id =` per profile
 *   terraform providers.tf          `external_id =` in each assume_role block
 *   turbot-pipes pipes.tf           `discovery_external_id =`, `external_id =` in the config object
 *   CloudFormation / IAM JSON       `sts:ExternalId`, `ExternalId` (trust policy conditions)
 * Custom templates may put a value anywhere: there the values the run knows are still redacted by value.
 */

/** A key naming an external ID in any of the spellings above (external_id, externalId, EXTERNAL_ID, ExternalId). */
const FIELD = /^(.*?[A-Za-z0-9_.:-]*external[_.-]?id["']?\s*(?::|=>|=)[ \t]*)(.*)$/i;

/** What a redacted value becomes. */
export const REDACTED_EXTERNAL_ID = "<external-id redacted>";

/**
 * Values that are references, never an external ID (external IDs hold only [A-Za-z0-9+=,.@:/_-], so `${...}` is
 * never one): an environment placeholder, optionally quoted; in HCL also an unquoted `var.name`/`local.name`.
 */
function isReference(value: string, hcl: boolean): boolean {
  const v = value.replace(/[\s,;}\])]+$/, "");
  if (/^(["']?)\$\{[A-Za-z_][A-Za-z0-9_]*\}\1$/.test(v)) return true;
  return hcl && /^(?:var|local)\.[A-Za-z_][A-Za-z0-9_-]*$/.test(v);
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)![0].length;

/**
 * Text with the value of every external-ID field replaced by REDACTED_EXTERNAL_ID: the rest of the line after the
 * key, and a value continued on the following lines (YAML block scalar or a value on the next, deeper-indented
 * lines; HCL heredoc; a JSON/HCL list opened on the line). References (`${VAR}`, HCL `var.x`) stay readable.
 */
export function redactExternalIdFields(text: string, format: string | null = null): string {
  const lines = text.split("\n");
  const hcl = format === "hcl";
  for (let i = 0; i < lines.length; i++) {
    const m = FIELD.exec(lines[i]);
    if (!m) continue;
    const [, key, value] = m;
    if (value && isReference(value, hcl)) continue;
    lines[i] = `${key}${REDACTED_EXTERNAL_ID}`;
    const v = value.trim();
    const heredoc = /^<<-?\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(v);
    if (heredoc) {
      for (let j = i + 1; j < lines.length; j++) {
        const end = lines[j].trim() === heredoc[1];
        if (!end) lines[j] = REDACTED_EXTERNAL_ID;
        i = j;
        if (end) break;
      }
      continue;
    }
    if (v === "[" || v === "(") {
      const close = v === "[" ? "]" : ")";
      for (let j = i + 1; j < lines.length; j++) {
        const end = lines[j].trim().startsWith(close);
        if (end) break;
        lines[j] = `${" ".repeat(indentOf(lines[j]))}${REDACTED_EXTERNAL_ID}`;
        i = j;
      }
      continue;
    }
    // A value continued on deeper-indented lines: a YAML block scalar, a scalar on the next line or a multi-line
    // quoted scalar, an INI continuation line. Built-in outputs never indent the line after an external ID deeper.
    const base = indentOf(lines[i]);
    for (let j = i + 1; j < lines.length; j++) {
      // (A YAML block sequence may sit at the key's own indentation: `key:` then `- value`.)
      const seqItem = v === "" && indentOf(lines[j]) === base && /^\s*- /.test(lines[j]);
      if (lines[j].trim() !== "" && indentOf(lines[j]) <= base && !seqItem) break;
      if (lines[j].trim() !== "") lines[j] = `${" ".repeat(indentOf(lines[j]))}${REDACTED_EXTERNAL_ID}`;
      i = j;
    }
  }
  return lines.join("\n");
}
