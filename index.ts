export { DiscoveryRole } from "./constructs/discovery-role";
