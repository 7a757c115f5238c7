internal import Glibc
internal import KeyringKit

// Secrets pass through this process: no core file, no debugger or /proc/PID/mem for other
// processes of the user (ProcessProtection), and the program's own secret settings out of the
// environment that `run` hands on and /proc/PID/environ shows, before anything is read.
ProcessProtection.disableCoreDumps()
SecretSettings.removeFromEnvironment()

// Start-up parses, and for a plain `get` starts what it will probably need (KeyringCommand.prepare:
// the Secret Service connection and session, when nothing but the bus can choose the backend).
// The command runs on this thread, and the process exits from there. With an `async` main,
// Swift would park the main thread and run the command on its thread pool, whose first thread
// is started for it: about 0.4 ms of a `keyring get`.
let arguments: [String]
switch CommandLineArguments.decode() {
case .success(let decoded):
    arguments = decoded
case .failure(let invalid):
    KeyringCommand.report(invalid.message)
    exit(ExitStatus.usage.rawValue)
}
KeyringCommand.prepare(arguments: arguments)
let mainThread = ThreadExecutor()
Task(executorPreference: mainThread) {
    exit(await KeyringCommand.main(arguments: arguments))
}
mainThread.run()
