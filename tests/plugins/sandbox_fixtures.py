"""Sandbox fixtures (built with the sandbox)."""
