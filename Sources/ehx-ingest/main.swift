print("ehx-ingest: not built yet")
