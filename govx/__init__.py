"""The govx command line: one module per command group under `govx.commands`."""
