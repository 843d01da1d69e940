"""The `govx` subcommands, one module per group."""
