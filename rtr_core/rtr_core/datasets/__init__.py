"""Reference data sets shipped offline (LASA handwriting)."""
