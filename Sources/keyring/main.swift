internal import Glibc

// Start-up does nothing but parse: no backend, bus or file is touched before a command runs.
// The command runs on this thread (MainThreadExecutor), and the process exits from there.
let mainThread = MainThreadExecutor()
Task(executorPreference: mainThread) {
    exit(await KeyringCommand.main(arguments: CommandLine.arguments))
}
mainThread.run()
