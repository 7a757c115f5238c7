internal import Glibc

// Start-up does nothing but parse: no backend, bus or file is touched before a command runs.
// The command runs on this thread (MainThreadExecutor), and the process exits from there.
let arguments = CommandLine.arguments
KeyringCommand.prepare(arguments: arguments)
let mainThread = MainThreadExecutor()
Task(executorPreference: mainThread) {
    exit(await KeyringCommand.main(arguments: arguments))
}
mainThread.run()
