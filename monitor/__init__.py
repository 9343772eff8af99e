"""ismon: watch which gallery image Amazon sponsored ads display."""
