// Validate Gateway API objects (Gateway, HTTPRoute, GatewayClass: CRDs, so kubernetes-validate
// has no schema for them) against JSON schemas generated from the Gateway API CRDs, shipped by
// @kubernetes-models/gateway-api. tests/deploy/test_rendered_manifests.py calls it:
//
//   node validate_gateway_api.mjs NODE_MODULES_DIR < objects.json > results.json
//
// The schemas check types, enums, patterns, ranges and required fields; like a CRD's structural
// schema they do not reject unknown fields.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const objects = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const object of objects) {
  const [group, version] = object.apiVersion.split("/");
  const file = join(modules, "@kubernetes-models", "gateway-api", group, version, `${object.kind}.js`);
  const result = { kind: object.kind, name: object.metadata?.name, status: "valid", message: "" };
  if (!existsSync(file)) {
    result.status = "no-schema";
    result.message = `no schema for ${object.apiVersion} ${object.kind}`;
  } else {
    const Model = (await import(pathToFileURL(file).href))[object.kind];
    try {
      new Model(object).validate();
    } catch (error) {
      result.status = "invalid";
      result.message = String(error.message);
    }
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
