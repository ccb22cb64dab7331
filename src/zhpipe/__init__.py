"""zhpipe: a reproducible Chinese-NLP pipeline."""

__version__ = "0.1.0"
