"""Browser fixtures (Playwright driving Debian's chromium); filled in by the portal tests."""
