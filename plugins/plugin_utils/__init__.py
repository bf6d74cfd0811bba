# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
