#!/usr/bin/env python3
"""Checks imgate's OpenAPI document and replies against it.

Usage: openapi_check.py DOCUMENT.json [SAMPLES.json]

The document must be a valid OpenAPI 3.1 description (openapi-spec-validator). Each
sample, {"path": template, "method": m, "status": n, "body": reply}, must name a
documented response whose JSON schema the reply satisfies (jsonschema, draft 2020-12).
"""

import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


def response_schema(doc, sample):
    operation = doc["paths"][sample["path"]][sample["method"]]
    response = operation["responses"][str(sample["status"])]
    return response["content"]["application/json"]["schema"]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    validate(doc)
    operations = sum(len(item) for item in doc["paths"].values())
    print(f"OpenAPI {doc['openapi']} document is valid: {len(doc['paths'])} paths, "
          f"{operations} operations")
    if len(sys.argv) < 3:
        return 0
    with open(sys.argv[2], encoding="utf-8") as f:
        samples = json.load(f)
    failed = 0
    for sample in samples:
        what = f"{sample['method'].upper()} {sample['path']} {sample['status']}"
        try:
            schema = dict(response_schema(doc, sample))
        except KeyError as missing:
            print(f"FAIL {what}: not documented ({missing})")
            failed += 1
            continue
        # References are `#/components/...`: resolve them in a schema that carries them.
        schema["components"] = doc["components"]
        errors = list(Draft202012Validator(schema).iter_errors(sample["body"]))
        for error in errors:
            print(f"FAIL {what}: {error.message} at {list(error.absolute_path)}")
        failed += bool(errors)
        if not errors:
            print(f"ok   {what}")
    print(f"{len(samples) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
