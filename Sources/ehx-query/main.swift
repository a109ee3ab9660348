print("ehx-query: not built yet")
