"""Response exports: CSV, XLSX and JSON Lines, streamed at once or written by a background job."""
