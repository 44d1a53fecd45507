// Your own cdktf app, with orgtrust as a construct library: npm install --save-exact orgtrust@0.1.0 cdktf@0.21.0 constructs@10.8.1
import { App } from "cdktf";
import { DiscoveryRole, IntegrationStack } from "orgtrust";

const app = new App(); // writes cdktf.out/ (or $CDKTF_OUTDIR); `cdktf synth` and `cdktf deploy` run this app

// One integration: the external ID, the discovery role, the member-role StackSet on two OUs, the member role in the
// management account. Every prop is a plain value; leave one out for its documented default.
const backstage = new IntegrationStack(app, "backstage", {
  homeRegion: "us-east-1",
  managementAccountId: "111122223333",
  trustedPrincipal: "arn:aws:iam::444455556666:role/backstage-backend",
  // Issued by the consumer (or { kind: "generate", length: 40, alphanumeric: false }, the default).
  externalId: { kind: "literal", value: "bk-7f3c9a2e4b1d8a6f" },
  discoveryRole: { roleName: "backstage-org-discovery" },
  memberRole: {
    roleName: "backstage-org-readonly",
    managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"],
    denyDataReads: true,
  },
  organizationalUnitIds: ["ou-ab12-prod0001", "ou-ab12-dev00001"],
  tags: { owner: "platform" },
});

// A building block on its own: a second read-only role in the same stack, with the same external ID.
new DiscoveryRole(backstage, "inventory_discovery", {
  roleName: "inventory-org-reader",
  trustedPrincipal: "arn:aws:iam::444455556666:role/inventory",
  externalId: backstage.externalIdSecret.value,
});

app.synth();
