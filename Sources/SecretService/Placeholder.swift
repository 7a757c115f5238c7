// SecretService
