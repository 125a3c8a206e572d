"""L3C training, evaluation and integer export (see training/README.md)."""
