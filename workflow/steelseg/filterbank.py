"""The random forest's pixel features: a Trainable-Weka-style multiscale filter bank.

The image goes to the opponent colour space first: intensity (R + G + B) / 3 and the two colour
opponents (R - G) / 2 and (R + G - 2B) / 4. Intensity carries what tells the phases of an
etched steel apart (dark lamellar pearlite, bright ferrite, grain boundaries), so it gets the
whole bank at each scale sigma: Gaussian smoothing, gradient magnitude (Sobel), the two Hessian
eigenvalues (as scikit-image's ``multiscale_basic_features`` computes them) and the differences
of Gaussians of neighbouring scales. The opponents, which in an RGB micrograph mostly repeat the
intensity, add their differences of Gaussians: colour contrast at each scale, so colour counts
where an etch tints a phase, but not absolute colour, which shifts from image to image with the
etch and the light (with the opponents' plain Gaussians among the features, a forest fitted on
two images of a sample mislabelled a third, lit differently, by a third of its pixels on the
synthetic set). Against the same bank on each of R, G and B this is less than half the planes
and a third of the filtering, at equal accuracy (bench/bench_rf.py).

Features come as (pixels, features) float32 arrays with each feature's plane contiguous (column
major), the order scikit-learn's trees read fastest. Large images are processed in horizontal
strips with a halo wide enough for the largest filter, so memory stays bounded and the result
equals a whole-image computation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from skimage.feature import hessian_matrix_eigvals
from skimage.filters import gaussian, sobel

STRIP_ROWS = 512
OPPONENTS = np.array(  # rows: intensity, red-green, yellow-blue
    [[1 / 3, 1 / 3, 1 / 3], [1 / 2, -1 / 2, 0], [1 / 4, 1 / 4, -1 / 2]], np.float32
)
PER_SIGMA = 4  # intensity planes per scale: Gaussian, Sobel, two Hessian eigenvalues


@dataclass(frozen=True)
class FilterBank:
    sigma_min: float = 1.0
    sigma_max: float = 16.0
    num_sigma: int = 5
    workers: int = 1

    @property
    def sigmas(self) -> np.ndarray:
        return np.geomspace(self.sigma_min, self.sigma_max, self.num_sigma)

    @property
    def halo(self) -> int:
        # Gaussian kernels are truncated at 4 sigma; Hessians add two rows of finite differences.
        return int(np.ceil(4 * self.sigma_max)) + 4

    @property
    def n_features(self) -> int:
        n = self.num_sigma
        return PER_SIGMA * n + 3 * (n - 1)

    def planes(self, image: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """(F, H, W) float32 feature planes of a float RGB image in [0, 1] (H, W, 3), of its
        ``rows`` only where given (the rest is the filters' context)."""
        channels = np.moveaxis(image @ OPPONENTS.T, -1, 0)
        jobs = [(0, s) for s in self.sigmas] + [(c, s) for c in (1, 2) for s in self.sigmas]

        def run(job):
            channel, sigma = job
            return _scale_planes(channels[channel], sigma, full=channel == 0)

        if self.workers > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                done = list(pool.map(run, jobs))
        else:
            done = [run(job) for job in jobs]
        height = len(range(*rows.indices(image.shape[0])))
        out = np.empty((self.n_features, height, image.shape[1]), np.float32)
        k = 0
        for result in done[: self.num_sigma]:  # intensity: PER_SIGMA planes per scale
            out[k : k + PER_SIGMA] = result[:, rows]
            k += PER_SIGMA
        for channel in range(3):  # differences of Gaussians of neighbouring scales
            smooth = done[channel * self.num_sigma : (channel + 1) * self.num_sigma]
            for fine, coarse in zip(smooth[:-1], smooth[1:], strict=True):
                np.subtract(fine[0, rows], coarse[0, rows], out=out[k])
                k += 1
        return out

    def strips(self, image: np.ndarray, lookahead: int = 0):
        """Yield (row slice, features) strip by strip: features (pixels, F), column major, of
        the strip's rows and of up to ``lookahead`` rows below it."""
        height, width = image.shape[:2]
        scaled = image.astype(np.float32) / 255.0
        for top in range(0, height, STRIP_ROWS):
            bottom = min(height, top + STRIP_ROWS)
            end = min(height, bottom + lookahead)
            lo, hi = max(0, top - self.halo), min(height, end + self.halo)
            planes = self.planes(scaled[lo:hi], slice(top - lo, end - lo))
            yield slice(top, bottom), _columns(planes)

    def features(self, image: np.ndarray) -> np.ndarray:
        """Features (H * W, F) of the whole image, assembled from strips."""
        return np.concatenate([f for _, f in self.strips(image)], axis=0)


def _scale_planes(channel: np.ndarray, sigma: float, full: bool) -> np.ndarray:
    """One channel at one scale: its Gaussian, and with ``full`` its Sobel gradient magnitude
    and Hessian eigenvalues, as (planes, H, W)."""
    if np.ptp(channel) == 0:  # a grey image's opponents: the Gaussian of a constant is itself
        smooth = channel.copy()
    else:
        smooth = gaussian(channel, sigma=sigma, preserve_range=True)
    if not full:
        return smooth[None]
    gy, gx = np.gradient(smooth)
    hessian = [np.gradient(gy, axis=0), np.gradient(gy, axis=1), np.gradient(gx, axis=1)]
    return np.stack([smooth, sobel(smooth), *hessian_matrix_eigvals(hessian)])


def _columns(planes: np.ndarray) -> np.ndarray:
    """Contiguous (F, H, W) planes as a (H * W, F) column-major array, a view."""
    return planes.reshape(planes.shape[0], -1).T
