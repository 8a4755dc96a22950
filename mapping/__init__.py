"""From OCR words to an IPDocument: layout, INID parsing, normalisers and the document model."""
