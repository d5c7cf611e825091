#!/usr/bin/python3
"""Writes the PIL parity fixtures for Elite.Inference.Imaging (not run in CI; the outputs are committed).

Run with Debian's interpreter, which has python3-pil and python3-numpy:
    /usr/bin/python3 tests/Elite.Inference.Tests/Fixtures/generate_preprocess_fixtures.py

Outputs (Fixtures/Preprocess/):
  synthetic_97x61.png       RGB test pattern with hard 255 -> 0 edges (exercises the 8-bit clipping)
  mask_451x300.png          RGB mask for chelsea: white ellipse, a gray (128) and a near-black (1) patch
  mask_37x23.png            small grayscale mask with an odd size
  float_32x24.bin           float32 single-channel source for PIL's mode "F" resize
  *.rgb / *.f32 / *.u8      raw outputs, row-major HWC uint8, float32 little-endian, uint8 0/1
  text_pil.png              2x2 PNG with tEXt, zTXt and iTXt (compressed and not) written by PIL
  manifest.json             one entry per case, plus normalised CLIP samples
"""
import json
import os

import numpy as np
import PIL
from PIL import Image, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Preprocess")
ASSETS = os.path.join(HERE, "..", "..", "..", "assets")

FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS}
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def synthetic(width, height):
    y, x = np.mgrid[0:height, 0:width]
    channels = [(x * 37 + y * 91 + c * 53 + (x * y) % 17 * 13) % 256 for c in range(3)]
    return np.stack(channels, axis=-1).astype(np.uint8)


def chelsea_mask(width, height):
    y, x = np.mgrid[0:height, 0:width]
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[((x - 230) / 150.0) ** 2 + ((y - 160) / 110.0) ** 2 <= 1.0] = 255
    mask[10:40, 10:60] = 128
    mask[250:290, 380:440] = 1  # > 0, so object
    return np.stack([mask] * 3, axis=-1)


def small_mask(width, height):
    y, x = np.mgrid[0:height, 0:width]
    return (((x * 3 + y * 5) % 7 < 3) * 255).astype(np.uint8)


def torch_nearest_indices(in_size, out_size):
    """PyTorch's legacy 'nearest': src = min(floor(dst * float32(in / out)), in - 1)."""
    if in_size == out_size:
        return np.arange(out_size)
    scale = np.float32(in_size) / np.float32(out_size)
    index = np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(index, in_size - 1)


def mask16(mask_hw):
    """ELITE: seg = interpolate(mask, 128, nearest); mask16 = interpolate(seg, 16, nearest)[:, 0]."""
    h, w = mask_hw.shape
    seg = mask_hw[torch_nearest_indices(h, 128)][:, torch_nearest_indices(w, 128)]
    two_step = seg[torch_nearest_indices(128, 16)][:, torch_nearest_indices(128, 16)]
    rows = (np.arange(16) * h) // 16
    cols = (np.arange(16) * w) // 16
    direct = mask_hw[rows][:, cols]
    assert np.array_equal(two_step, direct), "spec 1.3: the two nearest steps collapse to floor(i*H/16)"
    return direct


def clip_normalise(rgb_hwc):
    # torchvision ToTensor (uint8 -> float32 / 255) then Normalize, all in float32; CHW.
    x = rgb_hwc.astype(np.float32) / np.float32(255)
    x = (x - CLIP_MEAN) / CLIP_STD
    return x.transpose(2, 0, 1)


def clip_samples(rgb_hwc, count=24):
    chw = clip_normalise(rgb_hwc)
    rng = np.random.RandomState(7)
    samples = []
    for _ in range(count):
        c, y, x = rng.randint(3), rng.randint(chw.shape[1]), rng.randint(chw.shape[2])
        samples.append([int(c), int(y), int(x), float(chw[c, y, x])])
    return samples


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(np.ascontiguousarray(data).tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"pillow": PIL.__version__, "numpy": np.__version__, "resize": [], "mask16": [], "clip": []}

    synth = synthetic(97, 61)
    Image.fromarray(synth, "RGB").save(os.path.join(OUT, "synthetic_97x61.png"))
    chelsea = Image.open(os.path.join(ASSETS, "chelsea.png"))
    assert chelsea.mode == "RGB"
    chelsea_np = np.array(chelsea)
    mask_rgb = chelsea_mask(*chelsea.size)
    Image.fromarray(mask_rgb, "RGB").save(os.path.join(OUT, "mask_451x300.png"))
    # ELITE: object = image * (mask > 0), per channel, then the same PIL resize.
    chelsea_obj = (chelsea_np * np.where(mask_rgb > 0, 1, 0)).astype(np.uint8)

    def resize_case(name, source_name, source, width, height, filter_name):
        out = np.array(Image.fromarray(source, "RGB").resize((width, height), FILTERS[filter_name]))
        file = f"{name}.rgb"
        write(file, out)
        manifest["resize"].append(
            {"name": name, "source": source_name, "filter": filter_name, "width": width, "height": height, "file": file})
        return out

    chelsea_224 = resize_case("chelsea_bicubic_224", "chelsea", chelsea_np, 224, 224, "bicubic")
    obj_224 = resize_case("chelsea_object_bicubic_224", "chelsea*mask_451x300.png", chelsea_obj, 224, 224, "bicubic")
    for width, height in [(130, 70), (40, 29), (150, 31), (97, 40), (60, 61), (23, 224)]:
        resize_case(f"synthetic_bicubic_{width}x{height}", "synthetic_97x61.png", synth, width, height, "bicubic")
    resize_case("synthetic_lanczos_45x80", "synthetic_97x61.png", synth, 45, 80, "lanczos")
    resize_case("synthetic_bilinear_50x33", "synthetic_97x61.png", synth, 50, 33, "bilinear")

    # Mode "F" (float32) bilinear: PIL's 32-bit path, double accumulation, no rounding.
    y, x = np.mgrid[0:24, 0:32]
    float_src = (np.sin(x * 0.7) * np.cos(y * 0.45) + (x * y % 5) * 0.1).astype(np.float32)
    write("float_32x24.bin", float_src)
    for width, height in [(45, 27), (20, 50)]:
        out = np.array(Image.fromarray(float_src, "F").resize((width, height), Image.BILINEAR), dtype=np.float32)
        file = f"float_bilinear_{width}x{height}.f32"
        write(file, out)
        manifest["resize"].append(
            {"name": f"float_bilinear_{width}x{height}", "source": "float_32x24.bin", "filter": "bilinear",
             "width": width, "height": height, "file": file})

    small = small_mask(37, 23)
    Image.fromarray(small, "L").save(os.path.join(OUT, "mask_37x23.png"))
    for source, mask_hw in [("mask_451x300.png", mask_rgb[:, :, 0]), ("mask_37x23.png", small)]:
        m16 = (mask16(mask_hw) > 0).astype(np.uint8)
        file = source.replace(".png", "_mask16.u8")
        write(file, m16)
        manifest["mask16"].append({"source": source, "file": file})

    manifest["clip"].append({"resized": "chelsea_bicubic_224", "samples": clip_samples(chelsea_224)})
    manifest["clip"].append({"resized": "chelsea_object_bicubic_224", "samples": clip_samples(obj_224)})

    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", 'a "quoted" caf\u00e9')
    info.add_text("comment", "compressed Latin-1 \u00e9", zip=True)
    info.add_itxt("negative", "\u732b \U0001f431", lang="ja", tkey="\u30cd\u30ac")
    info.add_itxt("long", "\u732b" * 200, zip=True)
    Image.fromarray(synth[:2, :2], "RGB").save(os.path.join(OUT, "text_pil.png"), pnginfo=info)
    manifest["text_pil"] = {k: v for k, v in Image.open(os.path.join(OUT, "text_pil.png")).text.items()}

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
