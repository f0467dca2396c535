#!/usr/bin/env python3
"""Validates JSON documents (one per line on stdin) against a JSON Schema file: prints "ok" or each error, exits 1 on
any error. Test tooling: jsonschema comes with cfn-lint, which .ci/run installs."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
validator = jsonschema.Draft202012Validator(schema)
failed = False
for number, line in enumerate(sys.stdin, 1):
    if not line.strip():
        continue
    for error in validator.iter_errors(json.loads(line)):
        failed = True
        print(f"document {number}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
print("invalid" if failed else "ok")
sys.exit(1 if failed else 0)
