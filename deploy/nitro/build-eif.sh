#!/usr/bin/env bash
# Builds the Nitro enclave image (EIF) of one commit and writes its
# measurements. NOT RUN HERE (no Docker daemon, network or nitro-cli where it
# was written): read it before running it, and see deploy/nitro/README.md.
#
# Usage (from any directory of the repository, on a Linux machine with
# Docker + buildx and nitro-cli; the parent instance is not required):
#
#   EML_OWNER_PUBKEY=$(cat owner/owner.pub) \
#   EML_PACKAGE=storage:models/minilm/1 \
#   EML_KMS_REGION=eu-west-1 \
#   deploy/nitro/build-eif.sh [COMMIT] [OUT_DIR]
#
# COMMIT defaults to HEAD (it must be committed: the build context is
# `git archive COMMIT`, so uncommitted changes never reach the image).
# OUT_DIR (default: eif-out) receives
#   eml.eif                  the enclave image
#   describe-eif.json        `nitro-cli describe-eif` output
#   release-<short>.json     {"pcr0","pcr1","pcr2"} for `eml policy init --measurements`
#   build-info.json          every input needed to reproduce the PCRs
#
# The same inputs must give the same PCR0..2 on any machine: that is how an
# auditor checks a published release (docs/reproducible-builds.md).
set -euo pipefail

commit="${1:-HEAD}"
out="${2:-eif-out}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"

die() { echo "build-eif: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "needs $1"; }
need git; need docker; need nitro-cli; need jq

: "${EML_OWNER_PUBKEY:?set EML_OWNER_PUBKEY (64 hex digits, owner.pub)}"
: "${EML_PACKAGE:?set EML_PACKAGE (storage:PREFIX)}"
: "${EML_KMS_REGION:?set EML_KMS_REGION (e.g. eu-west-1)}"

full="$(git -C "$root" rev-parse --verify "${commit}^{commit}")" || die "unknown commit $commit"
short="${full:0:12}"
# Reproducible time: the commit's own timestamp, never the clock.
SOURCE_DATE_EPOCH="$(git -C "$root" log -1 --format=%ct "$full")"
export SOURCE_DATE_EPOCH

# The Dockerfile of that commit decides the base digest and the snapshot;
# refuse the placeholders.
dockerfile="$(git -C "$root" show "$full:deploy/nitro/Dockerfile")" \
  || die "deploy/nitro/Dockerfile is not in $short"
if grep -q 'sha256:0\{64\}' <<<"$dockerfile"; then
  die "the base image digest in deploy/nitro/Dockerfile is still the all-zero placeholder"
fi
snapshot="${EML_SNAPSHOT:-$(sed -n 's/^ARG SNAPSHOT=//p' <<<"$dockerfile" | head -1)}"
if [ -z "$snapshot" ] || [ "$snapshot" = "00000000T000000Z" ]; then
  die "SNAPSHOT is the placeholder: set ARG SNAPSHOT in the Dockerfile (or EML_SNAPSHOT)"
fi

mkdir -p "$out"
tag="eml-enclave:${short}"

# Build context = the committed tree only. rewrite-timestamp clamps every
# file's mtime to SOURCE_DATE_EPOCH in the exported image (BuildKit >= 0.13;
# with an older BuildKit the Dockerfile's own `touch` pass still applies).
git -C "$root" archive --format=tar "$full" |
  docker buildx build \
    --file deploy/nitro/Dockerfile \
    --platform linux/amd64 \
    --build-arg SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" \
    --build-arg SNAPSHOT="$snapshot" \
    --build-arg EML_OWNER_PUBKEY="$EML_OWNER_PUBKEY" \
    --build-arg EML_PACKAGE="$EML_PACKAGE" \
    --build-arg EML_KMS_REGION="$EML_KMS_REGION" \
    --provenance=false --sbom=false \
    --output "type=docker,name=${tag},rewrite-timestamp=true" \
    -

image_id="$(docker image inspect --format '{{.Id}}' "$tag")"

# nitro-cli prints the measurements as JSON; describe-eif reads them back
# from the file, which is what we keep.
nitro-cli build-enclave --docker-uri "$tag" --output-file "$out/eml.eif" >&2
nitro-cli describe-eif --eif-path "$out/eml.eif" > "$out/describe-eif.json"

jq '{pcr0: (.Measurements.PCR0 | ascii_downcase),
     pcr1: (.Measurements.PCR1 | ascii_downcase),
     pcr2: (.Measurements.PCR2 | ascii_downcase)}' \
  "$out/describe-eif.json" > "$out/release-${short}.json"

# A debug-mode enclave reports all-zero PCRs; a build never does. Guard
# against a describe-eif format we do not understand.
for i in 0 1 2; do
  v="$(jq -r ".pcr$i" "$out/release-${short}.json")"
  [[ "$v" =~ ^[0-9a-f]{96}$ ]] || die "PCR$i is not 96 hex digits: $v"
  [[ "$v" =~ ^0+$ ]] && die "PCR$i is all zero"
done

jq -n \
  --arg commit "$full" \
  --arg source_date_epoch "$SOURCE_DATE_EPOCH" \
  --arg snapshot "$snapshot" \
  --arg base "$(grep -m1 -o 'debian:12-slim@sha256:[0-9a-f]\{64\}' <<<"$dockerfile")" \
  --arg owner "$EML_OWNER_PUBKEY" \
  --arg package "$EML_PACKAGE" \
  --arg region "$EML_KMS_REGION" \
  --arg image_id "$image_id" \
  --arg nitro_cli "$(nitro-cli --version 2>&1 | head -1)" \
  --arg eif_sha256 "$(sha256sum "$out/eml.eif" | cut -c1-64)" \
  --slurpfile pcrs "$out/release-${short}.json" \
  '{commit: $commit, source_date_epoch: ($source_date_epoch | tonumber), snapshot: $snapshot,
    base_image: $base, build_args: {EML_OWNER_PUBKEY: $owner, EML_PACKAGE: $package,
    EML_KMS_REGION: $region}, docker_image_id: $image_id, nitro_cli: $nitro_cli,
    eif_sha256: $eif_sha256, measurements: $pcrs[0]}' > "$out/build-info.json"

echo "build-eif: $out/eml.eif (commit $short)"
cat "$out/release-${short}.json"
