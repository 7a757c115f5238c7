internal import Glibc

// Start-up does nothing but parse: no backend, bus or file is touched before a command runs.
exit(await KeyringCommand.main(arguments: CommandLine.arguments))
