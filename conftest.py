"""Options shared by bench/ and tests/ live in the commbench pytest plugin."""

pytest_plugins = ("commbench.pytest_plugin", "pytester")
