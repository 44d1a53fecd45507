import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";

/** Dummy credentials: moto checks no signatures; unknown keys land in account 123456789012 (the management account). */
export const TEST_CREDENTIALS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "orgtrust-test-secret" };

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Real SDK v3 clients pointed at an endpoint (moto or the fault proxy), with fast retries. */
export function awsClients(endpoint: string, credentials: Creds = TEST_CREDENTIALS, region = "us-east-1") {
  const config = { region, endpoint, credentials, retryStrategy: new ConfiguredRetryStrategy(4, () => 5) };
  return {
    org: new OrganizationsClient(config),
    sts: new STSClient(config),
    cfn: new CloudFormationClient(config),
    iam: new IAMClient(config),
    destroy() {
      this.org.destroy();
      this.sts.destroy();
      this.cfn.destroy();
      this.iam.destroy();
    },
  };
}
export type AwsClients = ReturnType<typeof awsClients>;

/** Clients acting inside another account: AssumeRole into it (moto routes by the assumed credentials). */
export async function clientsFor(
  endpoint: string,
  accountId: string,
  roleName = "OrganizationAccountAccessRole",
): Promise<AwsClients> {
  const base = awsClients(endpoint);
  const out = await base.sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: "orgtrust-test" }),
  );
  base.destroy();
  const c = out.Credentials!;
  return awsClients(endpoint, {
    accessKeyId: c.AccessKeyId!,
    secretAccessKey: c.SecretAccessKey!,
    sessionToken: c.SessionToken,
  });
}
