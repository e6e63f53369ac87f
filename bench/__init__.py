"""Benchmarks of live-assets against the local simulator (``make bench``); see ``bench/report.py``."""
