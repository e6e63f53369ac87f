"""Monitoring: service-level targets, today's figures against them, and alerts when they break."""
