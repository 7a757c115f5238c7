print("keyring")
