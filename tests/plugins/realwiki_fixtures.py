"""Real-wiki peer fixtures (built with the real-wiki tier)."""
