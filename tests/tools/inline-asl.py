#!/usr/bin/env python3
"""Writes a CloudFormation template holding each AWS::Serverless::StateMachine of TEMPLATE as the
AWS::StepFunctions::StateMachine CloudFormation creates, with its local DefinitionUri (an ASL file beside the
template) inline as Definition: cfn-lint's Step Functions rule (E3601) reads only such inline definitions, neither
SAM's DefinitionUri nor the DefinitionString SAM's translator makes of it. Substitutions become placeholder ARNs.

Usage: inline-asl.py TEMPLATE > OUT
"""
import json
import os
import sys


def main():
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        template = json.load(f)
    out = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        uri = props.get("DefinitionUri")
        if resource.get("Type") != "AWS::Serverless::StateMachine" or not isinstance(uri, str) or uri.startswith("s3://"):
            continue
        with open(os.path.join(os.path.dirname(os.path.abspath(path)), uri), encoding="utf-8") as f:
            definition = json.load(f)
        out["Resources"][name] = {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": "arn:aws:iam::111122223333:role/bucketguard-sweep",
                "StateMachineType": props.get("Type", "STANDARD"),
                "Definition": definition,
                "DefinitionSubstitutions": {k: f"arn:aws:lambda:us-east-1:111122223333:function:{k}" for k in props.get("DefinitionSubstitutions", {})},
            },
        }
    if not out["Resources"]:
        sys.exit("inline-asl: no state machine with a local DefinitionUri in " + path)
    json.dump(out, sys.stdout, indent=1)


main()
