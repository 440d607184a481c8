"""Per-area UI strings: each module defines STRINGS = {key: (中文, English)}."""
