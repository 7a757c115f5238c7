// KeyringKit
