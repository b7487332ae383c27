"""HTTP service over the `rag` pipeline."""
