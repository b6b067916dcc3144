"""Zipped size of each function's code and of its layers, as staged by a synth and `make lambda-layer`.

`python -m infra.sizes [BUILD_DIR]` prints a table (MB = 10^6 bytes). Lambda counts the zipped
upload of each piece; the 250 MB limit is on the unzipped total.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from infra.stacks.assets import LAYERS_BY_SERVICE, layer_dir

ROOT = Path(__file__).resolve().parents[1]


def zipped_bytes(folder: Path) -> int:
    """Bytes of `folder` zipped as a Lambda deployment package (deflate)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".built"):
            archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getbuffer().nbytes


def unzipped_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def sizes(build_dir: Path) -> dict[str, dict[str, int]]:
    """Per function: its code's zipped bytes, each layer's, the total, and the unzipped total."""
    layers = {name: (zipped_bytes(layer_dir(build_dir, name)), unzipped_bytes(layer_dir(build_dir, name)))
              for name in {n for names in LAYERS_BY_SERVICE.values() for n in names}}
    table = {}
    for service, names in LAYERS_BY_SERVICE.items():
        code = build_dir / "lambda" / service
        row = {"code": zipped_bytes(code), **{name: layers[name][0] for name in names}}
        row["total"] = sum(row.values())
        row["unzipped"] = unzipped_bytes(code) + sum(layers[name][1] for name in names)
        table[service] = row
    return table


def main() -> None:
    build_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build"
    print("| function | code (zip) | layers (zip) | total zipped | unzipped |\n|---|---|---|---|---|")
    for service, row in sizes(build_dir).items():
        layers = ", ".join(f"{name} {row[name] / 1e6:.2f}" for name in LAYERS_BY_SERVICE[service])
        print(f"| {service} | {row['code'] / 1e6:.2f} MB | {layers} MB | {row['total'] / 1e6:.2f} MB "
              f"| {row['unzipped'] / 1e6:.1f} MB |")


if __name__ == "__main__":
    main()
