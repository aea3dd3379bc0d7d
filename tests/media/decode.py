"""Decodes an image with Pillow: `decode.py IN OUT` writes its pixels to OUT as 8-bit RGB
rows and prints {"format", "width", "height"} as JSON."""

import json
import sys

from PIL import Image

with Image.open(sys.argv[1]) as image:
    image.load()
    rgb = image.convert("RGB")
    with open(sys.argv[2], "wb") as out:
        out.write(rgb.tobytes())
    print(json.dumps({"format": image.format, "width": image.width, "height": image.height}))
