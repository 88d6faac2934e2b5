"""Official accounts: publishers users choose to follow, and the WeChat-compatible developer platform."""
