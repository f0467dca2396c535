# Shared settings for the local AWS scripts. Everything binds to 127.0.0.1.
BG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BG_STATE="${BG_STATE:-$BG_ROOT/.local}"
BG_S3_PORT="${BG_S3_PORT:-7480}"       # radosgw (keep outside 6800-7300: the OSD binds there)
BG_MON_PORT="${BG_MON_PORT:-3300}"     # ceph-mon
BG_SNS_PORT="${BG_SNS_PORT:-4566}"     # fauxqs (SNS and SQS)
BG_MOTO_PORT="${BG_MOTO_PORT:-4575}"   # moto server (S3 Control, KMS, Security Hub, EventBridge, Organizations, CloudWatch)
BG_MOTO_VERSION="${BG_MOTO_VERSION:-5.2.1}"
BG_ACCESS_KEY="${BG_ACCESS_KEY:-BGLOCALACCESSKEY0001}"
BG_SECRET_KEY="${BG_SECRET_KEY:-bglocalsecretkey0000000000000000000000001}"
BG_REGION="${BG_REGION:-us-east-1}"
# An organisation member account for the roll-out tests: an RGW tenant named by a 12-digit account ID, whose
# BucketGuardMember role (arn:aws:iam::222233334444:role/BucketGuardMember) trusts the bucketguard user.
BG_MEMBER_ACCOUNT="${BG_MEMBER_ACCOUNT:-222233334444}"
BG_MEMBER_ACCESS_KEY="${BG_MEMBER_ACCESS_KEY:-BGMEMBERACCESSKEY001}"
BG_MEMBER_SECRET_KEY="${BG_MEMBER_SECRET_KEY:-bgmembersecretkey00000000000000000000001}"
export BG_ROOT BG_STATE BG_S3_PORT BG_MON_PORT BG_SNS_PORT BG_MOTO_PORT BG_MOTO_VERSION BG_ACCESS_KEY BG_SECRET_KEY BG_REGION BG_MEMBER_ACCOUNT BG_MEMBER_ACCESS_KEY BG_MEMBER_SECRET_KEY

bg_log() { printf '%s\n' "$*" >&2; }

# True when the process recorded under NAME is alive.
bg_alive() { local f="$BG_STATE/pids/$1"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

# Waits up to $2 seconds for URL $1 to answer HTTP at all.
bg_wait_http() {
  local url=$1 limit=$2 start=$SECONDS
  until curl -s -o /dev/null --max-time 1 "$url"; do
    if (( SECONDS - start >= limit )); then return 1; fi
    sleep 0.1
  done
}

# The moto server command: on PATH (the machine image ships it), or the one infra/local/install put in .local/moto.
bg_moto() {
  if [ -x "$BG_STATE/moto/bin/moto_server" ]; then echo "$BG_STATE/moto/bin/moto_server"; else command -v moto_server; fi
}

# The environment a client needs: the SDK's standard settings, and two BucketGuard settings for what the local
# services cannot say: Ceph's GetBucketPolicyStatus is not AWS's, and RGW's STS has no GetCallerIdentity, so the
# local account (the one the sample events name) is given as the home account.
bg_env() {
  cat <<ENV
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$BG_S3_PORT
export AWS_ENDPOINT_URL_SNS=http://127.0.0.1:$BG_SNS_PORT
export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$BG_SNS_PORT
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$BG_S3_PORT
export AWS_ENDPOINT_URL_S3_CONTROL=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ENDPOINT_URL_SECURITYHUB=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ENDPOINT_URL_ORGANIZATIONS=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ENDPOINT_URL_CLOUDWATCH=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ENDPOINT_URL_SFN=http://127.0.0.1:$BG_MOTO_PORT
export AWS_ACCESS_KEY_ID=$BG_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$BG_SECRET_KEY
export AWS_REGION=$BG_REGION
export AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED
export AWS_RESPONSE_CHECKSUM_VALIDATION=WHEN_REQUIRED
export BUCKETGUARD_S3_POLICY_STATUS=off
export BUCKETGUARD_HOME_ACCOUNT=111122223333
export BG_MEMBER_ACCOUNT=$BG_MEMBER_ACCOUNT
export BG_MEMBER_ACCESS_KEY=$BG_MEMBER_ACCESS_KEY
export BG_MEMBER_SECRET_KEY=$BG_MEMBER_SECRET_KEY
ENV
}
