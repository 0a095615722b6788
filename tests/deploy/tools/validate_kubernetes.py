"""Validate Kubernetes objects against the API's own schemas, offline (kubernetes-validate).

Runs with the deploy tools' interpreter (.venv-deploy-tools/python), where kubernetes-validate
is installed; tests/deploy/test_rendered_manifests.py calls it:

    python validate_kubernetes.py VERSION... < objects.json > results.json

VERSION is a Kubernetes minor version (1.27) or `latest` (the newest schemas shipped).

Strict: a field the schema does not define is an error, as `kubectl apply` (server-side field
validation) would report it. A kind without a built-in schema (a CRD) comes back as
"no-schema" for the caller to validate some other way.
"""

from __future__ import annotations

import functools
import json
import sys

import kubernetes_validate
import kubernetes_validate.utils

# validate() reads the schema files again for every object; each is read-only, so read once.
kubernetes_validate.utils.schema_contents = functools.cache(  # type: ignore[assignment]
    kubernetes_validate.utils.schema_contents
)


def main() -> None:
    objects = json.load(sys.stdin)
    results = []
    for wanted in sys.argv[1:]:
        version = kubernetes_validate.latest_version() if wanted == "latest" else wanted
        for obj in objects:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
                status, message = "valid", ""
            except kubernetes_validate.SchemaNotFoundError as exc:
                status, message = "no-schema", exc.message
            except kubernetes_validate.ValidationError as exc:
                where = "/".join(str(part) for part in exc.path)
                status, message = "invalid", f"{where}: {exc.message}"
            results.append(
                {
                    "version": version,
                    "kind": obj["kind"],
                    "name": obj["metadata"]["name"],
                    "status": status,
                    "message": message,
                }
            )
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
