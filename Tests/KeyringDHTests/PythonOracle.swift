// An independent implementation to check ours against: Python's built-in pow(b, e, p) and its
// hmac module, run in a subprocess with a deadline.

import Foundation
import TestSupport

/// Errors from running Python.
enum PythonOracleError: Error, CustomStringConvertible {
    case notAvailable(String)
    case timedOut(seconds: Double)
    case failed(status: Int32, stderr: String)
    case badOutput(String)

    var description: String {
        switch self {
        case .notAvailable(let reason): return "python3 could not be started (\(reason)); the cross-check needs it"
        case .timedOut(let seconds): return "python3 did not finish within \(seconds) s and was terminated"
        case .failed(let status, let stderr): return "python3 exited with status \(status): \(stderr)"
        case .badOutput(let line): return "python3 printed something unexpected: \(line.prefix(80))"
        }
    }
}

/// Runs `script` with `/usr/bin/env python3 -c`, feeding `input` on stdin, and returns stdout
/// (TestSupport's `runProcess`, which reads both pipes as they fill).
/// - Throws: ``PythonOracleError`` when Python is missing, fails, or takes longer than
///   `deadline` seconds (it is then killed).
func runPython(script: String, input: String, deadline: Double = 120) throws -> String {
    let result: ProcessResult
    do {
        result = try runProcess(
            "/usr/bin/env", ["python3", "-c", script], environment: ProcessInfo.processInfo.environment,
            stdin: Array(input.utf8), timeout: .milliseconds(Int64(deadline * 1000)))
    } catch {
        throw PythonOracleError.notAvailable("\(error)")
    }
    if result.timedOut { throw PythonOracleError.timedOut(seconds: deadline) }
    switch result.status {
    case 0: return result.stdoutText
    case 127: throw PythonOracleError.notAvailable(result.stderrText)
    case let status: throw PythonOracleError.failed(status: status, stderr: result.stderrText)
    }
}

/// Parses one lower- or upper-case hex value per line.
func hexLines(_ output: String, expecting count: Int) throws -> [[UInt8]] {
    let lines = output.split(separator: "\n", omittingEmptySubsequences: true)
    guard lines.count == count else {
        throw PythonOracleError.badOutput("expected \(count) lines, got \(lines.count)")
    }
    return try lines.map { line in
        guard let value = bytes(fromHex: line) else { throw PythonOracleError.badOutput(String(line)) }
        return value
    }
}

/// One modular exponentiation for the oracle: unsigned big-endian values.
struct ModPowInput {
    var modulus: [UInt8]
    var base: [UInt8]
    var exponent: [UInt8]
}

/// `pow(base, exponent, modulus)` for every input, computed by Python in one process; each
/// result big-endian, left-padded to the modulus's byte length.
func pythonModPow(_ inputs: [ModPowInput]) throws -> [[UInt8]] {
    let script = """
        import sys
        out = []
        for line in sys.stdin:
            p, b, e = line.split()
            p = int(p, 16)
            width = (p.bit_length() + 7) // 8 * 2
            out.append(format(pow(int(b, 16), int(e, 16), p), "0%dx" % width))
        sys.stdout.write("\\n".join(out) + "\\n")
        """
    func hexOrZero(_ value: [UInt8]) -> String { value.isEmpty ? "0" : hexString(value) }
    let input = inputs.map { "\(hexOrZero($0.modulus)) \(hexOrZero($0.base)) \(hexOrZero($0.exponent))\n" }.joined()
    return try hexLines(runPython(script: script, input: input), expecting: inputs.count)
}

/// HKDF-SHA256(IKM, salt = 32 zero bytes, info = empty, 16 bytes) of each input, computed by
/// Python's hmac module (RFC 5869 written out), one result per input.
func pythonSessionKeys(_ sharedSecrets: [[UInt8]]) throws -> [[UInt8]] {
    let script = """
        import hashlib, hmac, sys
        out = []
        for line in sys.stdin:
            ikm = bytes.fromhex(line.strip())
            prk = hmac.new(bytes(32), ikm, hashlib.sha256).digest()
            okm = hmac.new(prk, b"\\x01", hashlib.sha256).digest()[:16]
            out.append(okm.hex())
        sys.stdout.write("\\n".join(out) + "\\n")
        """
    let input = sharedSecrets.map { hexString($0) + "\n" }.joined()
    return try hexLines(runPython(script: script, input: input), expecting: sharedSecrets.count)
}
