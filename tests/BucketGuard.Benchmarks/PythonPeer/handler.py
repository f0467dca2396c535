"""A Python boto3 Lambda handler doing what BucketGuard's event path does, for the cold-start benchmark only (never
shipped): the same S3 and SNS calls in the same order and concurrency, behind a minimal Lambda Runtime API loop (what
awslambdaric does, without its C extension).

Calls: the five state reads at once (GetBucketAcl, GetBucketPolicy, GetPublicAccessBlock, GetBucketOwnershipControls,
GetBucketTagging), then PutPublicAccessBlock (merged with the flags read), GetPublicAccessBlock again, the snapshot
(ListObjectVersions while GetBucketLogging), and one SNS Publish. Simplifications, stated: public means an AllUsers or AuthenticatedUsers grant in the ACL or a policy statement
with Principal "*" and no Condition (BucketGuard's evaluator applies AWS's whole rule); the message is a short JSON
document, not BucketGuard's; no exemption tags are read into a decision."""
import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
S3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
SNS = boto3.client("sns")
TOPIC = os.environ["BUCKETGUARD_TOPIC_ARN"]
POOL = ThreadPoolExecutor(max_workers=5)
PUBLIC = ("http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


def attempt(call, **kwargs):
    try:
        return call(**kwargs)
    except Exception as error:  # noqa: BLE001 - a read that fails is recorded, as BucketGuard records it
        return error


def flags(answer):
    return answer.get("PublicAccessBlockConfiguration", {}) if isinstance(answer, dict) else {}


def handle(event):
    bucket = event["detail"]["requestParameters"]["bucketName"]
    reads = [POOL.submit(attempt, f, Bucket=bucket) for f in (S3.get_bucket_acl, S3.get_bucket_policy, S3.get_public_access_block, S3.get_bucket_ownership_controls, S3.get_bucket_tagging)]
    acl, policy, block, _ownership, _tags = [r.result() for r in reads]
    grants = acl.get("Grants", []) if isinstance(acl, dict) else []
    public = any(g.get("Grantee", {}).get("URI") in PUBLIC for g in grants)
    if isinstance(policy, dict):
        statements = json.loads(policy.get("Policy", "{}")).get("Statement", [])
        public = public or any(s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"}) and "Condition" not in s for s in statements)
    if not public:
        return {"outcome": "NothingToDo"}
    merged = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
    merged.update({k: True for k, v in flags(block).items() if v})
    S3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=merged)
    in_force = flags(attempt(S3.get_public_access_block, Bucket=bucket))
    # The snapshot at the lock, as BucketGuard takes it: the versions listed while the logging status is read.
    versions = POOL.submit(attempt, S3.list_object_versions, Bucket=bucket, MaxKeys=1000)
    logging = POOL.submit(attempt, S3.get_bucket_logging, Bucket=bucket)
    listed, status = versions.result(), logging.result()
    snapshot = {"versions": len(listed.get("Versions", [])) if isinstance(listed, dict) else None,
                "accessLogging": bool(status.get("LoggingEnabled")) if isinstance(status, dict) else None}
    SNS.publish(TopicArn=TOPIC, Subject="locked " + bucket, Message=json.dumps({"bucket": bucket, "inForce": in_force, "before": flags(block), "snapshot": snapshot}))
    return {"outcome": "Block", "bucket": bucket}


while True:
    with urllib.request.urlopen(API + "next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    try:
        body, path = json.dumps(handle(event)).encode(), request_id + "/response"
    except Exception as error:  # noqa: BLE001 - reported to the Runtime API as Lambda's runtimes do
        body, path = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode(), request_id + "/error"
    urllib.request.urlopen(urllib.request.Request(API + path, data=body, method="POST")).read()
