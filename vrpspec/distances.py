"""Distances on coordinates: Euclidean, great-circle, and a local projection for features."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), for great-circle metres


def euclidean_matrix(locations: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances, ``[N, 2] -> [N, N]``."""
    diff = locations[:, None, :] - locations[None, :, :]
    return np.sqrt((diff**2).sum(-1))


def great_circle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distances in metres between ``(lon, lat)`` degrees; ``a`` and
    ``b`` broadcast against each other (``[..., 2]``)."""
    lon1, lat1 = np.radians(a[..., 0]), np.radians(a[..., 1])
    lon2, lat2 = np.radians(b[..., 0]), np.radians(b[..., 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def great_circle_matrix(lonlat: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances in metres, ``[N, 2] (lon, lat) -> [N, N]``."""
    return great_circle(lonlat[:, None, :], lonlat[None, :, :])


def local_projection(lonlat: np.ndarray) -> np.ndarray:
    """``[P, 2]`` degrees ``(lon, lat)`` -> ``[P, 2]`` metres, equirectangular about the centre.

    Good to a fraction of a percent over a city; for features only, never for costs.
    """
    lonlat = np.asarray(lonlat, dtype=float)
    lon0 = 0.5 * (lonlat[:, 0].min() + lonlat[:, 0].max())
    lat0 = 0.5 * (lonlat[:, 1].min() + lonlat[:, 1].max())
    x = np.radians(lonlat[:, 0] - lon0) * np.cos(np.radians(lat0))
    y = np.radians(lonlat[:, 1] - lat0)
    return EARTH_RADIUS_M * np.stack([x, y], axis=-1)
