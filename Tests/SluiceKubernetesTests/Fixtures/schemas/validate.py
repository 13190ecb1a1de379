#!/usr/bin/env python3
"""Validates rendered Kubernetes objects against the vendored published schemas (SOURCES.md)
with the `jsonschema` library, the way the API server's strict field validation judges them:

- unknown fields are errors (`additionalProperties: false` wherever a schema lists
  properties), except under `x-kubernetes-preserve-unknown-fields: true`;
- `x-kubernetes-int-or-string` (CRDs) and `format: int-or-string` (IntOrString) accept an
  integer or a string;
- a custom resource's `metadata` is checked against Kubernetes' ObjectMeta, as the server does.
CEL rules (`x-kubernetes-validations`) and admission webhooks are not evaluated here; the
Swift tests re-implement the ones rendered objects rely on.

Usage: validate.py SCHEMA_DIR OBJECTS   (a JSON array of objects, or a `---`-separated YAML stream when it ends .yaml)
Prints one line per error (`Kind/name: path: message`) and exits 1 when there is any.
"""
import copy
import json
import os
import sys

import jsonschema
import yaml

META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def strict(node):
    """A copy of an OpenAPI schema node turned into plain JSON Schema, closed to unknown fields."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) if key not in ("enum", "required", "default", "example") else value for key, value in node.items()}
    if "properties" in node and isinstance(node["properties"], dict):
        node["properties"] = {key: strict(value) for key, value in node["properties"].items()}
    if node.pop("x-kubernetes-int-or-string", False) or node.get("format") == "int-or-string":
        node.pop("type", None)
        node.pop("format", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in node and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    for key in [k for k in node if k.startswith("x-kubernetes-")]:
        del node[key]
    node.pop("format", None)
    return node


def load(directory):
    """Schemas by (apiVersion, kind)."""
    core = json.load(open(os.path.join(directory, "kubernetes-apps-core-v1.json")))["definitions"]
    definitions = {name: strict(schema) for name, schema in core.items()}
    schemas = {}
    for name, schema in core.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            api = gvk["version"] if not gvk["group"] else "%s/%s" % (gvk["group"], gvk["version"])
            schemas[(api, gvk["kind"])] = {"$ref": "#/definitions/" + name, "definitions": definitions}
    for file in sorted(os.listdir(directory)):
        if not file.endswith(".yaml"):
            continue
        crd = yaml.load(open(os.path.join(directory, file)), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
            schema["properties"]["metadata"] = {"$ref": "#/definitions/" + META}
            schema["additionalProperties"] = False
            schema["definitions"] = definitions
            schemas[("%s/%s" % (group, version["name"]), kind)] = schema
    return schemas


def main():
    schemas = load(sys.argv[1])
    with open(sys.argv[2]) as handle:
        if sys.argv[2].endswith(".yaml"):
            objects = [item for item in yaml.load_all(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if item is not None]
        else:
            objects = json.load(handle)
    errors = 0
    for item in objects:
        label = "%s/%s" % (item.get("kind"), item.get("metadata", {}).get("name"))
        schema = schemas.get((item.get("apiVersion"), item.get("kind")))
        if schema is None:
            print("%s: no vendored schema for %s %s" % (label, item.get("apiVersion"), item.get("kind")))
            errors += 1
            continue
        for error in sorted(jsonschema.Draft7Validator(schema).iter_errors(item), key=lambda e: list(e.absolute_path)):
            path = ".".join(str(part) for part in error.absolute_path)
            print("%s: %s: %s" % (label, path or "(root)", error.message[:300]))
            errors += 1
    print("validated %d objects, %d errors" % (len(objects), errors))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
