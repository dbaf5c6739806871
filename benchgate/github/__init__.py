"""GitHub: the Actions run context, the REST API for the sticky comment, workflow files and commands."""
