# -*- coding: utf-8 -*-
# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT

# Private to this collection (the leading underscore, as in community.general): it may change in
# any release. Other collections should not extend it.

from __future__ import annotations


class ModuleDocFragment:
    # What the attributes mean, said once for every module. Each module adds its own `support`
    # and `details`; a module's keys win over these when ansible-doc merges them.
    # The short-name note is here so that every module, a new one too, says it.
    # The platform is the same for all: every module is a static Linux ELF binary (x86_64 and
    # aarch64), and several read /proc, so "posix" would promise BSD and macOS.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Returns details on what has changed (or possibly needs changing in check mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
    details: Linux x86_64 and aarch64 targets, as static binaries.
notes:
  - "Short names: a task may call this module without the collection's name (as the seed's
    C(async_status_id: alias=blah) does) only in a play that lists the collection, with
    C(collections: [rstyczynski.ansible]) at play level. Without it, ansible-core fails with
    C(couldn't resolve module/action). The full name (C(rstyczynski.ansible.<module>)) works
    everywhere."
"""
