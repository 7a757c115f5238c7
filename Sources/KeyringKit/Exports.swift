// What KeyringKit's API shows, so that `import KeyringKit` is the one import a program needs:
// `Secret` and `SecureBytes` (secret memory), `ProcessProtection`, from the layer below.
@_exported public import KeyringSystem
