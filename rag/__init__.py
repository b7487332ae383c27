"""Offline retrieval-augmented Q&A over Chinese operations documents, every statement cited."""
