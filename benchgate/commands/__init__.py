"""One module per CLI verb: each gathers inputs, calls the pure core and writes outputs."""
