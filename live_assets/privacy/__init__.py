"""Personal data in the raw layer: which columns hold it (``classes``, marked in the endpoint registry),
what to do with each class (``settings``: ``LIVE_PII``), and the rewrite of a response before it lands
(``masking``). See docs/privacy.md."""
