#!/usr/bin/env python3
"""Trims Kubernetes' published OpenAPI document to the definitions reachable from the kinds
Sluice renders (apps/v1 Deployment, core/v1 Service, autoscaling/v2 HorizontalPodAutoscaler), so the vendored test data stays small.

Usage: trim-kubernetes-openapi.py SWAGGER_JSON > kubernetes-apps-core-v1.json
Input: Kubernetes' api/openapi-spec/swagger.json (see SOURCES.md for the copy used).
Only whole definitions are kept or dropped; none is edited.
"""
import json
import sys

ROOTS = ["io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.Service", "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler"]


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def main():
    document = json.load(open(sys.argv[1]))
    definitions = document["definitions"]
    keep, queue = {}, list(ROOTS)
    while queue:
        name = queue.pop()
        if name in keep:
            continue
        keep[name] = definitions[name]
        queue.extend(refs(definitions[name]))
    json.dump({"definitions": dict(sorted(keep.items()))}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
