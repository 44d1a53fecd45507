import { PRESETS, TURBOT_PIPES_ACCOUNT } from "./resolve";
import type { ConsumerName } from "./schema";

/** Consumer-specific lines for the starter file (indented under the integration). */
const CONSUMER_HINTS: Record<ConsumerName, string> = {
  backstage: `    # The role your Backstage backend runs as; it assumes the discovery and member roles.
    trustedPrincipal: arn:aws:iam::123456789012:role/backstage-backend
    # Backstage is self-hosted, so orgtrust generates the external ID and stores it in Secrets Manager.
    externalId: { source: generate }
    options:
      ownerTag: owner            # account tag that becomes spec.owner of catalog entities
`,
  "port-ocean": `    # The role Port Ocean runs as. Port builds member role ARNs from the discovery role's name,
    # so the two roles share one name (PortOceanReadRole by default).
    trustedPrincipal: arn:aws:iam::123456789012:role/port-ocean
    externalId: { source: env, env: PORT_EXTERNAL_ID }
`,
  "turbot-pipes": `    # Turbot Pipes assumes roles from AWS account ${TURBOT_PIPES_ACCOUNT} (the preset's trusted principal).
    # Its external ID is "{identifier}:{random}": your Pipes organization or tenant id (o_... or t_...), a colon,
    # and 8 random letters or digits (orgtrust generates them). Every REPLACE_ME is refused until replaced.
    externalId: { source: generate, prefix: o_REPLACE_ME }
    options:
      organizationHandle: REPLACE_ME   # or tenantHandle
`,
  steampipe: `    trustedPrincipal: arn:aws:iam::123456789012:role/steampipe-runner
    options:
      sourceProfile: steampipe-runner   # or credentialSource: Ec2InstanceMetadata
`,
  apono: `    trustedPrincipal: arn:aws:iam::123456789012:role/apono-connector
    # Apono issues the external ID: pass it through an environment variable.
    externalId: { source: env, env: APONO_EXTERNAL_ID }
    options:
      connectorId: REPLACE_WITH_APONO_CONNECTOR_ID
`,
  cloudquery: `    trustedPrincipal: arn:aws:iam::123456789012:role/cloudquery-sync
    regions: [us-east-1]
`,
  "c7n-org": `    trustedPrincipal: arn:aws:iam::123456789012:role/custodian-runner
    regions: [us-east-1]
`,
  "aws-cli": `    trustedPrincipal: arn:aws:iam::123456789012:role/platform-engineer
    options:
      sourceProfile: default
`,
  terraform: `    trustedPrincipal: arn:aws:iam::123456789012:role/terraform-ci
`,
};

/** A commented starter orgtrust.yaml for one consumer; it validates as it is. */
export function starterConfig(consumer: ConsumerName): string {
  const preset = PRESETS[consumer];
  const name = consumer.replace(/[^a-z0-9-]/g, "-");
  return `# orgtrust configuration (docs/config.md: "Config file reference").
# Replace the placeholder IDs (every command refuses REPLACE_ME values and the example account 123456789012), then: orgtrust discover --out org.json && orgtrust synth && orgtrust generate
version: 1
organization:
  managementAccountId: "123456789012"   # 12 digits, quoted (IDs may start with 0)
  partition: aws                         # aws | aws-us-gov | aws-cn
  homeRegion: us-east-1                  # StackSet, secret and STS region
  # delegatedAdminAccountId: "210987654321"

# Written by \`orgtrust discover --out org.json\`; commands read it unless --snapshot says otherwise.
snapshot: org.json

exclusions:
  organizationalUnits: []   # e.g. [ou-ab12-cdef3456]: the OU and its whole subtree are out
  accounts: []              # e.g. ["012345678901"]
  skipInactiveAccounts: true

integrations:
  ${name}:
    consumer: ${consumer}
${CONSUMER_HINTS[consumer]}    # discoveryRole: { name: ${preset.discoveryRoleName(name)}, path: /, maxSessionDuration: 3600 }
    # memberRole: { name: ${preset.memberRoleName(name)}, policy: ReadOnlyAccess, denyDataReads: false }
    #   a boundary in every account: permissionsBoundary: "arn:aws:iam::\${AWS::AccountId}:policy/<name>"
    # exclusions: { organizationalUnits: [], accounts: [], managementAccount: false }
    # output: { dir: out/${name} }
`;
}
