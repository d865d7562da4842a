"""The test suite of cubicl_async (a package, so tests can share helpers from conftest)."""
