"""npy.py OUT DICT DATA_BYTES [HEADER_LENGTH]: writes a version 1.0 .npy
file whose header is the Python dict literal DICT, padded as numpy pads it,
followed by DATA_BYTES zero bytes. HEADER_LENGTH, if given, replaces the
header length field: a header that lies about its own size."""
import struct
import sys

out, header, data = sys.argv[1], sys.argv[2], int(sys.argv[3])
while (10 + len(header) + 1) % 64:
    header += " "
header += "\n"
length = int(sys.argv[4]) if len(sys.argv) > 4 else len(header)
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", length))
    f.write(header.encode("latin-1") + bytes(data))
