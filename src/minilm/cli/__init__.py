"""The `minilm` command line: one module per command group, each with `add_parser` and `run`."""
