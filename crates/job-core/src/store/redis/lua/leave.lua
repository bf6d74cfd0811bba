-- Copyright (c) 2026 rstyczynski.ansible contributors
-- SPDX-License-Identifier: MIT
-- ARGV: worker. A clean stop: what it took but never started goes back at once.
release(ARGV[1])
return 1
