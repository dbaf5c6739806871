"""Real-model harness: a local llama-cpp-python server serving SmolLM2-135M-Instruct."""
