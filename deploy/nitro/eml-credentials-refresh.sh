#!/usr/bin/env bash
# Writes the parent instance role's temporary credentials (EC2 IMDSv2) to the
# file eml-host reads with --credentials-file (re-read on every use, so a
# refreshed file rotates them; format: src/host/credentials.h).
# Run by eml-credentials-refresh.timer. NOT RUN HERE (no EC2 where it was
# written).
#
# The credentials are the role's: on their own they allow s3:GetObject of
# ciphertext and a kms:Decrypt that KMS grants only with a valid attestation
# document (iam-instance-role-policy.json). The file is readable by root and
# the group eml-cred (eml-host.service: SupplementaryGroups=eml-cred).
set -euo pipefail

out="${1:-/run/eml-credentials/aws.env}"
group="${EML_CRED_GROUP:-eml-cred}"
imds=http://169.254.169.254

token="$(curl -sf --max-time 5 -X PUT "$imds/latest/api/token" \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"
role="$(curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $token" \
  "$imds/latest/meta-data/iam/security-credentials/" | head -1)"
[ -n "$role" ] || { echo "eml-credentials-refresh: no instance role" >&2; exit 1; }
creds="$(curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $token" \
  "$imds/latest/meta-data/iam/security-credentials/$role")"

dir="$(dirname "$out")"
install -d -m 0750 -g "$group" "$dir"
tmp="$(mktemp "$dir/.aws.env.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
jq -er '"AWS_ACCESS_KEY_ID=\(.AccessKeyId)",
        "AWS_SECRET_ACCESS_KEY=\(.SecretAccessKey)",
        "AWS_SESSION_TOKEN=\(.Token)",
        "AWS_CREDENTIAL_EXPIRATION=\(.Expiration)"' <<<"$creds" > "$tmp"
chgrp "$group" "$tmp"
chmod 0640 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
