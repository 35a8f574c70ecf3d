#!/usr/bin/env python3
"""Decodes a PNG written by a Kiln executable without trusting the writer:
walks the chunks, recomputes every CRC, checks IHDR, inflates IDAT with
zlib and undoes the row filters; when PIL is installed, its decoding must
agree. Prints `png WIDTHxHEIGHT gray|rgb` for FileCheck.

usage: png_check.py FILE.png [--tiles OUTPUTS.npy --tile HxW --columns C
                              [--separator S] [--range unit|tanh]
                              [--paired INPUTS.npy]]
With --tiles, every tile of the grid must hold the matching sample of
OUTPUTS.npy mapped to pixels exactly (clip to [0,1] or [-1,1], times 255,
rounded),
sample i at row i // C, column i % C.
"""
import argparse
import struct
import sys
import zlib

import numpy as np


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("FAIL: bad signature")
    at, chunks, idat = 8, [], b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind = data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            sys.exit("FAIL: CRC of chunk %s" % kind)
        chunks.append(kind)
        if kind == b"IHDR":
            width, height, depth, color, comp, filt, inter = struct.unpack(
                ">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    if chunks[0] != b"IHDR" or chunks[-1] != b"IEND" or at != len(data):
        sys.exit("FAIL: chunk layout %s" % chunks)
    if depth != 8 or color not in (0, 2) or comp or filt or inter:
        sys.exit("FAIL: IHDR %s" % ((depth, color, comp, filt, inter),))
    channels = 1 if color == 0 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    if len(raw) != height * (stride + 1):
        sys.exit("FAIL: %d bytes of image data" % len(raw))
    pixels = np.zeros((height, stride), np.int64)
    prior = np.zeros(stride, np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1)
        row = row.astype(np.int64)
        if kind == 0:
            out = row
        elif kind == 2:
            out = (row + prior) % 256
        else:  # The writer uses None; Sub/Average/Paeth are not expected.
            sys.exit("FAIL: row %d uses filter %d" % (y, kind))
        pixels[y] = out
        prior = out
    return pixels.reshape(height, width, channels).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("png")
    parser.add_argument("--tiles")
    parser.add_argument("--tile")
    parser.add_argument("--columns", type=int)
    parser.add_argument("--separator", type=int, default=1)
    parser.add_argument("--range", default="unit")
    parser.add_argument("--paired", metavar="INPUTS.npy",
                        help="the grid of --with-inputs: each row of samples "
                        "of INPUTS.npy above the row of their outputs")
    args = parser.parse_args()
    image = decode(args.png)
    height, width, channels = image.shape
    try:
        from PIL import Image
        theirs = np.asarray(Image.open(args.png))
        if not np.array_equal(theirs.reshape(image.shape), image):
            sys.exit("FAIL: PIL decodes other pixels")
    except ImportError:
        pass
    print("png %dx%d %s" % (width, height, "gray" if channels == 1 else "rgb"))
    if args.tiles:
        h, w = (int(v) for v in args.tile.split("x"))
        step_y, step_x = h + args.separator, w + args.separator

        def pixels(path):
            values = np.load(path).astype(np.float64)
            values = values.reshape(len(values), h, w, -1)
            if args.range == "tanh":
                values = (values + 1) / 2
            # Halves round up, as the writer's lround does for these values.
            return np.floor(np.clip(values, 0, 1) * 255 + 0.5).astype(np.int64)

        def worst(expected, grid_row):
            diff = 0
            for i in range(len(expected)):
                r, c = grid_row(i), i % args.columns
                tile = image[r * step_y:r * step_y + h,
                             c * step_x:c * step_x + w]
                diff = max(diff, int(np.abs(tile.astype(np.int64) -
                                            expected[i]).max()))
            return diff

        outputs = pixels(args.tiles)
        if args.paired:
            if worst(pixels(args.paired), lambda i: 2 * (i // args.columns)):
                sys.exit("FAIL: an input tile differs from its sample")
            row = lambda i: 2 * (i // args.columns) + 1
        else:
            row = lambda i: i // args.columns
        if worst(outputs, row):
            sys.exit("FAIL: an output tile differs from its sample")
        print("tiles match %d samples" % len(outputs))

main()
