"""cut.py FILE TEXT [N]: the bytes of FILE up to the end of the first TEXT,
and N more, as a file cut off there (a partial copy, a full disk) would
hold. N keeps '%' out of TEXT, where lit would substitute it."""
import sys

data = open(sys.argv[1], "rb").read()
text = sys.argv[2].encode()
extra = int(sys.argv[3]) if len(sys.argv) > 3 else 0
sys.stdout.buffer.write(data[: data.index(text) + len(text) + extra])
