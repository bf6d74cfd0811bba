# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

from __future__ import annotations


class ModuleDocFragment:
    # Backend options shared by async_job_save and async_job_load.
    DOCUMENTATION = r"""
options:
  backend:
    description: Where records are kept. V(oci) is Oracle Cloud Object Storage.
    type: str
    choices: [filesystem, oci]
    default: filesystem
  state_dir:
    description: Directory of the filesystem backend, relative to ansible-playbook's working directory.
    type: str
    default: .ansible_async_state
  oci_bucket:
    description: Bucket (backend oci). Required with O(backend=oci).
    type: str
  oci_namespace:
    description:
      - Object Storage namespace (backend oci).
      - When not given, it is asked from the service (C(GET /n)), so playbooks no longer need
        C(oci os ns get).
    type: str
  oci_profile:
    description:
      - Profile in the OCI config file (backend oci). Without it, E(OCI_CLI_PROFILE), then
        V(DEFAULT), as the OCI CLI does.
      - API-key profiles and session profiles (C(security_token_file), from
        C(oci session authenticate)) both work.
    type: str
  oci_config_file:
    description:
      - OCI config file (backend oci). Without it, E(OCI_CLI_CONFIG_FILE), then C(~/.oci/config).
      - Read as the OCI CLI reads it; keys may be PKCS#8, PKCS#1 or encrypted PKCS#8 (with
        C(pass_phrase)). The key's fingerprint must match the profile's.
    type: str
  oci_endpoint:
    description:
      - Object Storage endpoint instead of the region's (backend oci), for private endpoints.
        Without it, E(OCI_CLI_ENDPOINT), then C(https://objectstorage.<region>.<realm domain>)
        with the region from E(OCI_CLI_REGION) or the profile.
    type: str
  oci_timeout:
    description:
      - Time limit in seconds for one OCI operation, retries included (backend oci). Throttling
        (429), server errors (5xx but 501), time-outs and connection errors are retried with
        exponential backoff and jitter within it.
    type: int
    default: 60
notes:
  - The OCI backend needs no OCI CLI or SDK; the module signs its own requests.
  - With the OCI backend, only a real 404 of the object means "not found". Authentication,
    permission, network and throttling errors fail the task with OCI's code, message, status and
    opc-request-id.
"""
