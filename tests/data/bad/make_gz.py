"""Regenerate the two gzip cases of the bad-input corpus (run from this folder).

truncated.csv.gz: 40 observation rows, gzip stream cut short (its last 400 bytes and trailer gone).
enormous_field.csv.gz: an IMEI field of 2 MiB on line 3 (over the 1 MiB line limit), 2 KiB packed.
"""

import gzip
import zlib
from pathlib import Path

H = "line_id,imei,observed_at\n"
A = "860000010001013"


def main() -> None:

    rows = "".join(
        f"+3360000000{1 + i % 6},{A},2022-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:17Z\n"
        for i in range(40)
    )
    packed = gzip.compress((H + rows).encode(), compresslevel=9, mtime=0)
    Path("truncated.csv.gz").write_bytes(packed[: len(packed) - 400])

    big = H + f"+33600000001,{A},2022-01-10T10:00:00Z\n"
    big += f"+33600000002,{'9' * (2 << 20)},2022-01-10T10:00:00Z\n"
    big += f"+33600000003,{A},2022-01-10T10:00:00Z\n"
    Path("enormous_field.csv.gz").write_bytes(gzip.compress(big.encode(), compresslevel=9, mtime=0))

    # Where the truncated stream stops (for cases.toml): complete lines and the partial one.
    out = zlib.decompressobj(wbits=31).decompress(Path("truncated.csv.gz").read_bytes())
    print(
        "truncated: stops inside line",
        out.count(b"\n") + 1,
        "partial:",
        out[out.rfind(b"\n") + 1 :],
    )


if __name__ == "__main__":  # pytest imports this file while collecting doctests
    main()
