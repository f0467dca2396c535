#!/usr/bin/env python3
"""Runs AWS SAM's own translator (the aws-sam-translator package that `sam deploy` and CloudFormation's
AWS::Serverless transform use) on a template, the way `sam package` leaves it: local CodeUri and DefinitionUri values become S3 URIs.
Prints the CloudFormation template AWS would really create, as JSON.

Usage: sam-transform.py TEMPLATE [Name=Value ...]   (parameter overrides, as `sam deploy --parameter-overrides`)
Exit 2 with the translator's reasons when SAM rejects the template."""
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
try:
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
except ImportError:
    sys.exit("sam-transform: the Python package aws-sam-translator is not installed (pip install aws-sam-translator)")


class NoManagedPolicies:
    """The translator asks IAM for AWS managed policy ARNs only for Policies given by name; BucketGuard uses none."""

    def load(self):
        return {}


def main():
    path, overrides = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    with open(path, encoding="utf-8") as f:
        template = json.load(f)
    # What `sam package` does: every local CodeUri (on a function or in Globals) becomes the uploaded artifact's URI.
    places = [r.get("Properties", {}) for r in template.get("Resources", {}).values() if r.get("Type") == "AWS::Serverless::Function"]
    places.append(template.get("Globals", {}).get("Function", {}))
    for props in places:
        if isinstance(props.get("CodeUri"), str) and not props["CodeUri"].startswith("s3://"):
            props["CodeUri"] = "s3://bucketguard-artifacts/bootstrap.zip"
    # And every local DefinitionUri of a state machine (the sweep's ASL file) becomes the uploaded definition's URI.
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str) and not props["DefinitionUri"].startswith("s3://"):
            props["DefinitionUri"] = "s3://bucketguard-artifacts/" + props["DefinitionUri"].replace("/", "-")
    try:
        out = transform(template, overrides, NoManagedPolicies())
    except InvalidDocumentException as e:
        print("\n".join(str(c) for c in e.causes), file=sys.stderr)
        sys.exit(2)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


main()
