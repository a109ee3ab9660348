print("ehx-keygen: not built yet")
