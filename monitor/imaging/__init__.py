"""Imaging: which gallery image an ad displayed (image ids from URLs, perceptual fingerprints, matching).

Where it sits: between the sweep (which hands over the ad's image URL and bytes) and the store (which
keeps the verdict); the gallery refresh fingerprints each listing image here too.
"""

from monitor.imaging.fingerprint import (
    Fingerprint,
    fingerprint_ad_image,
    fingerprint_gallery_image,
    fingerprint_is_current,
    load_image,
)
from monitor.imaging.match import GalleryEntry, GalleryIndex, Identification, MultiIndex, identify

__all__ = [
    "Fingerprint",
    "GalleryEntry",
    "GalleryIndex",
    "Identification",
    "MultiIndex",
    "fingerprint_ad_image",
    "fingerprint_gallery_image",
    "fingerprint_is_current",
    "identify",
    "load_image",
]
