"""zhpipe: a reproducible Chinese-NLP pipeline."""
