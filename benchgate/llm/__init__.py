"""Live mode: an OpenAI-compatible client, the LLM judge, candidate generation, a response cache."""
