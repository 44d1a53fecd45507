// cdktf's jest matchers (toHaveResourceWithProperties, ...).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("cdktf").Testing.setupJest();
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
