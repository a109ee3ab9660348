print("ehx-mine: not built yet")
