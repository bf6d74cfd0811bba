# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# MIT License (see LICENSE) or, at your option, GNU General Public License v3.0+
# (see https://www.gnu.org/licenses/gpl-3.0.txt)

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
    description: Bucket (backend oci).
    type: str
  oci_namespace:
    description: Object Storage namespace (backend oci).
    type: str
  oci_profile:
    description: Profile in the OCI config file (backend oci).
    type: str
    default: DEFAULT
  oci_config_file:
    description: OCI config file (backend oci).
    type: str
  oci_endpoint:
    description: Object Storage endpoint instead of the region's (backend oci).
    type: str
  oci_timeout:
    description: Time limit in seconds for OCI requests, retries included (backend oci).
    type: int
"""
