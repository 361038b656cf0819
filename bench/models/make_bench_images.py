"""Photo-like benchmark images, generated so that nothing is downloaded: smooth multi-scale colour
fields (sky, ground, shading), a few committed OpenMoji images pasted as objects, and sensor-like
noise, which gives JPEG, PNG and WebP encoders the entropy of a real photo rather than of a flat
synthetic picture. Fixed seed.

    /usr/bin/python3 bench/models/make_bench_images.py [OUT]   (default bench/.images)

Writes photo-640x480.jpg (quality 90, 4:2:0), photo-1000x1000.png (RGB, zlib level 6, Pillow's
default) and photo-640x480.webp (lossy, quality 80), then 32 more of 512x384 (JPEG, quality 90) under
variety/ for comparisons that need more than three images (bench/edge-variants.ts: agreement of model
variants). The first three come first from the seeded generator, so adding the others left them as
they were.
"""
import glob
import os
import sys

try:
    import numpy as np
    from PIL import Image
except ImportError as missing:  # build tooling only: Debian's packages, no pip
    sys.exit(f'{missing}: run with /usr/bin/python3 and apt-get install -y '
             'python3-torch python3-onnx python3-numpy python3-pil')

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
VARIETY = 32


def photo(width, height, rng):
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.zeros((height, width, 3), np.float32)
    # A horizon: sky-like gradient above, ground-like below.
    horizon = height * (0.45 + 0.1 * np.sin(x / width * 3.1))
    sky = np.stack([120 + 60 * y / height, 160 + 40 * y / height, 230 - 30 * y / height], -1)
    ground = np.stack([90 + 40 * (y / height), 110 + 30 * (x / width), 60 + 20 * (y / height)], -1)
    image += np.where((y < horizon)[..., None], sky, ground)
    # Smooth texture at several scales (bilinear-upsampled random grids).
    for scale, amp in ((64, 30.0), (16, 14.0), (4, 6.0)):
        grid = rng.standard_normal(((height // scale) + 2, (width // scale) + 2, 3)).astype(np.float32)
        small = Image.fromarray(np.uint8(np.clip(128 + grid * 40, 0, 255)))
        big = np.asarray(small.resize((width, height), Image.BILINEAR), np.float32) - 128
        image += big * amp / 40
    canvas = Image.fromarray(np.uint8(np.clip(image, 0, 255)))
    emoji = sorted(glob.glob(os.path.join(ROOT, 'tests', 'fixtures', 'openmoji-eval', '*.png')))
    for path in rng.choice(emoji, size=min(5, len(emoji)), replace=False):
        size = int(min(width, height) * rng.uniform(0.2, 0.45))
        sprite = Image.open(path).convert('RGBA').resize((size, size), Image.BICUBIC)
        canvas.paste(sprite, (int(rng.uniform(0, width - size)), int(rng.uniform(0, height - size))), sprite)
    noisy = np.asarray(canvas, np.float32) + rng.normal(0, 3.0, (height, width, 3))
    return Image.fromarray(np.uint8(np.clip(noisy, 0, 255)))


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'bench', '.images'))
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    small = photo(640, 480, rng)
    small.save(os.path.join(out, 'photo-640x480.jpg'), quality=90, subsampling='4:2:0')
    small.save(os.path.join(out, 'photo-640x480.webp'), quality=80)
    photo(1000, 1000, rng).save(os.path.join(out, 'photo-1000x1000.png'))
    variety = os.path.join(out, 'variety')
    os.makedirs(variety, exist_ok=True)
    for i in range(VARIETY):
        photo(512, 384, rng).save(os.path.join(variety, f'photo-{i:02d}.jpg'), quality=90, subsampling='4:2:0')
    for name in sorted(os.listdir(out)):
        if os.path.isfile(os.path.join(out, name)):
            print(f'{name}: {os.path.getsize(os.path.join(out, name))} bytes')
    print(f'variety/: {VARIETY} JPEGs of 512x384')


if __name__ == '__main__':
    main()
