"""Imaging: which gallery image an ad displayed (image ids from URLs, perceptual fingerprints, matching).

Where it sits: between the sweep (which hands over the ad's image URL and bytes) and the store (which
keeps the verdict); the gallery refresh fingerprints each listing image here too.
"""
