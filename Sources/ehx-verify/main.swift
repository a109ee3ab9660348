print("ehx-verify: not built yet")
