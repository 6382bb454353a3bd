"""HTML reports of detection results."""
