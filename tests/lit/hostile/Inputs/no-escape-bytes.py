"""Fails if a file holds a byte that starts a terminal escape sequence:
ESC (0x1B) or the UTF-8 encoding of the C1 introducer CSI (U+009B)."""
import sys

data = open(sys.argv[1], "rb").read()
for bad, what in ((b"\x1b", "ESC"), (b"\xc2\x9b", "CSI")):
    at = data.find(bad)
    if at >= 0:
        sys.exit(f"{sys.argv[1]}: raw {what} byte at offset {at}")
