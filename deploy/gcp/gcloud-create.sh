#!/usr/bin/env bash
# gcloud commands for the two Google Cloud variants. NOT RUN HERE (no gcloud
# or Google Cloud project where it was written); flags were checked against
# Google's documentation, not against a live project. Read deploy/gcp/README.md.
#
#   PROJECT=my-proj ZONE=us-central1-a IMAGE=REGION-docker.pkg.dev/.../eml-enclave-tdx@sha256:... \
#   deploy/gcp/gcloud-create.sh tdx-vm NAME
#   deploy/gcp/gcloud-create.sh confidential-space NAME
#
# Optional: MACHINE_TYPE (c3-standard-4: C3 is the TDX machine family),
# SERVICE_ACCOUNT (confidential-space: the workload's service account),
# CS_IMAGE_FAMILY (confidential-space: the PRODUCTION family that supports
# TDX; never a *-debug family), VM_IMAGE_PROJECT / VM_IMAGE_FAMILY (tdx-vm:
# an OS image Google lists as TDX-capable; ubuntu-2404-lts-amd64 by default).
set -euo pipefail

variant="${1:?usage: gcloud-create.sh tdx-vm|confidential-space NAME}"
name="${2:?usage: gcloud-create.sh tdx-vm|confidential-space NAME}"
: "${PROJECT:?set PROJECT}" "${ZONE:?set ZONE}" "${IMAGE:?set IMAGE (pulled by digest)}"
machine="${MACHINE_TYPE:-c3-standard-4}"

case "$IMAGE" in
  *@sha256:*) ;;
  *) echo "gcloud-create: IMAGE must be pinned by digest (…@sha256:…)" >&2; exit 2 ;;
esac

case "$variant" in
  tdx-vm)
    # A plain TDX Confidential VM: the whole VM is the TEE; eml-enclave reads
    # quotes from configfs-tsm (eml-enclave-tdx.service). Live migration is
    # not available for TDX, hence TERMINATE on host maintenance.
    gcloud compute instances create "$name" \
      --project="$PROJECT" --zone="$ZONE" \
      --machine-type="$machine" \
      --confidential-compute-type=TDX \
      --maintenance-policy=TERMINATE \
      --shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring \
      --image-project="${VM_IMAGE_PROJECT:-ubuntu-os-cloud}" \
      --image-family="${VM_IMAGE_FAMILY:-ubuntu-2404-lts-amd64}" \
      --metadata=enable-oslogin=TRUE \
      --no-service-account --no-scopes \
      --tags=eml-enclave
    ;;
  confidential-space)
    # Confidential Space: Google's locked-down image runs the container named
    # by tee-image-reference. See README: eml-enclave --tee tdx cannot reach
    # configfs-tsm from inside this container, so it refuses to start.
    : "${SERVICE_ACCOUNT:?set SERVICE_ACCOUNT (the workload service account e-mail)}"
    : "${CS_IMAGE_FAMILY:?set CS_IMAGE_FAMILY (production Confidential Space family with TDX support)}"
    case "$CS_IMAGE_FAMILY" in *debug*) echo "gcloud-create: debug image families are not for production" >&2; exit 2 ;; esac
    gcloud compute instances create "$name" \
      --project="$PROJECT" --zone="$ZONE" \
      --machine-type="$machine" \
      --confidential-compute-type=TDX \
      --maintenance-policy=TERMINATE \
      --shielded-secure-boot \
      --image-project=confidential-space-images \
      --image-family="$CS_IMAGE_FAMILY" \
      --metadata="^~^tee-image-reference=${IMAGE}~tee-restart-policy=Never" \
      --service-account="$SERVICE_ACCOUNT" \
      --scopes=cloud-platform \
      --tags=eml-enclave
    ;;
  *)
    echo "gcloud-create: unknown variant $variant" >&2; exit 2 ;;
esac

cat >&2 <<MSG
gcloud-create: created $name. Open TCP 8443 to your clients only, e.g.
  gcloud compute firewall-rules create eml-8443 --project=$PROJECT \\
    --allow=tcp:8443 --target-tags=eml-enclave --source-ranges=CLIENT_CIDR
MSG
