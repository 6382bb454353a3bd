from tiny_bundle import tiny_bundle  # noqa: F401 (the shared fixture)
