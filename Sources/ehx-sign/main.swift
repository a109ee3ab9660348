print("ehx-sign: not built yet")
