"""Reading scans and recognising text: ingest, preprocessing and the Tesseract engine."""
