"""A generated directory of realistic size and the demo that syncs it on the sandbox (not product code)."""
