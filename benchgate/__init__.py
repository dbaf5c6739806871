"""benchgate: LLM benchmark runs as a CI quality gate."""

__version__ = "0.1.0"
