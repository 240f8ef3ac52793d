"""Static scanners of pickle and skops files: what they would import and call, never loaded."""
