import Foundation
import Testing
import TestSupport

/// `keyring import-env` (a .env file into keyring entries and a reference file) and
/// `keyring run --env-file` (the references back into a program's environment).
@Suite("moving secrets out of .env files")
struct ImportEnvTests {
    /// A .env with the syntax people write, and what python-dotenv makes of each line.
    static let dotenv = """
        # database
        export DB_PASSWORD=pa$$w0rd  # trailing comment
        API_TOKEN = "tok\\"en\\n#not-a-comment"
        SINGLE='it''s literal: \\n ${NOT_EXPANDED}'
        EMPTY=
        MULTI="line one
        line two"
        URL=https://user:pw@example.org/path#frag
        \r
        """
    static let expected: [String: String] = [
        "DB_PASSWORD": "pa$$w0rd",
        "API_TOKEN": "tok\"en\n#not-a-comment",
        "EMPTY": "",
        "MULTI": "line one\nline two",
        "URL": "https://user:pw@example.org/path#frag",
    ]

    @Test("a .env file becomes entries and references, and run --env-file gives the same environment", arguments: CLIBackend.all)
    func importAndRun(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            // 'it''s' is two single-quoted strings in a shell, not in dotenv: leave SINGLE out here.
            let text = Self.dotenv.split(separator: "\n").filter { !$0.hasPrefix("SINGLE") }.joined(separator: "\n")
            let env = try cli.write(text, to: ".env")
            let imported = try await cli.keyring(["import-env", env, "--service", "myapp"])
            #expect(imported.succeeded, "\(imported)")
            for value in Self.expected.values where value.count > 3 {
                #expect(!imported.stderrContains(value) && !imported.stdoutContains(value), "no value is printed")
            }
            let references = try String(contentsOfFile: env + ".keyring", encoding: .utf8)
            for name in Self.expected.keys { #expect(references.contains("\(name)=myapp/\(name)\n"), "\(references)") }
            for value in Self.expected.values where value.count > 3 { #expect(!references.contains(value)) }

            for (name, value) in Self.expected {
                let get = try await cli.keyring(["get", "myapp", name])
                #expect(get.stdoutText == value + "\n", "\(name): \(get)")
            }
            let run = try await cli.keyring(["run", "--env-file", env + ".keyring", "--", "/usr/bin/env", "-0"])
            #expect(run.succeeded, "\(run)")
            let environment = Dictionary(
                run.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.compactMap { pair in
                    pair.firstIndex(of: "=").map { (String(pair[..<$0]), String(pair[pair.index(after: $0)...])) }
                }, uniquingKeysWith: { $1 })
            for (name, value) in Self.expected { #expect(environment[name] == value, "\(name)") }

            // Nothing is replaced unless told: not the entries, not the reference file.
            try cli.write("DB_PASSWORD=new\n", to: "other.env")
            let again = try await cli.keyring(
                ["import-env", cli.directory.appendingPathComponent("other.env").path, "--service", "myapp"])
            #expect(again.status == 5, "\(again)")
            #expect(again.stderrText.contains("DB_PASSWORD") && again.stderrText.contains("--force"), "\(again)")
            #expect(try await cli.keyring(["get", "myapp", "DB_PASSWORD"]).stdoutText == "pa$$w0rd\n")
            let reused = try await cli.keyring(["import-env", env, "--service", "elsewhere"])
            #expect(reused.status == 5 && reused.stderrText.contains("exists"), "\(reused)")
            #expect(try await cli.keyring(["list", "elsewhere"]).stdout.isEmpty, "nothing was stored")
            let forced = try await cli.keyring(
                ["import-env", cli.directory.appendingPathComponent("other.env").path, "--service", "myapp", "--force"])
            #expect(forced.succeeded, "\(forced)")
            #expect(try await cli.keyring(["get", "myapp", "DB_PASSWORD"]).stdoutText == "new\n")

            // --env after --env-file wins for the same name.
            try await cli.store("override", service: "other", account: "x")
            let both = try await cli.keyring(
                ["run", "--env-file", env + ".keyring", "--env", "EMPTY=other/x", "--", "/usr/bin/printenv", "EMPTY"])
            #expect(both.stdoutText == "override\n", "\(both)")
        }
    }

    @Test("bad dotenv lines are clear errors, name the line, show no value, and store nothing")
    func badSyntax() async throws {
        try await withFixture(.file) { cli in
            let cases: [(String, String)] = [
                ("A=1\nB=secret-one\nA=secret-two\n", "line 3 (A): set on line 1 already"),
                ("GOOD=1\n1BAD=secret-one\n", "'1BAD' is not a variable name"),
                ("MY-VAR=secret-one\n", "'MY-VAR' is not a variable name"),
                ("OK=1\nsecret-one\n", "line 2: not NAME=VALUE"),
                ("Q=\"secret-one\n", "line 1 (Q): the double quote is not closed"),
                ("Q='secret-one\n", "the single quote is not closed"),
                ("Q=\"secret-one\" trailing\n", "text after the closing quote"),
                ("Q=${HOME}/secret-one\n", "refers to another variable"),
                ("Q=\"${HOME}secret-one\"\n", "refers to another variable"),
                ("# only comments\n\n", "sets no variables"),
            ]
            for (index, (text, message)) in cases.enumerated() {
                let path = try cli.write(text, to: "bad\(index).env")
                let result = try await cli.keyring(["import-env", path, "--service", "bad\(index)"])
                #expect(result.status == 2, "\(text.debugDescription): \(result)")
                #expect(result.stderrText.contains(message), "\(text.debugDescription): \(result.stderrText)")
                #expect(!result.stderrContains("secret-one") && !result.stderrContains("secret-two"))
                #expect(!FileManager.default.fileExists(atPath: path + ".keyring"))
                #expect(try await cli.keyring(["list", "bad\(index)"]).stdout.isEmpty)
            }
            // Quoted, ${...} is kept as it is.
            let literal = try cli.write("Q='${HOME}'\nexport R=\"a\\$b\"\n", to: "literal.env")
            #expect(try await cli.keyring(["import-env", literal, "--service", "lit"]).succeeded)
            #expect(try await cli.keyring(["get", "lit", "Q"]).stdoutText == "${HOME}\n")
            #expect(try await cli.keyring(["get", "lit", "R"]).stdoutText == "a$b\n")
        }
    }

    @Test("run --env-file refuses a file of values, never showing them")
    func runRefusesValues() async throws {
        try await withFixture(.file) { cli in
            let values = try cli.write("TOKEN=ghp_secretValue\nDB=postgres://u:hunter2@db/name\n", to: ".env")
            let result = try await cli.keyring(["run", "--env-file", values, "--", "/usr/bin/true"])
            #expect(result.status == 2, "\(result)")
            #expect(result.stderrText.contains("line 1 (TOKEN)") && result.stderrText.contains("import-env"), "\(result)")
            #expect(!result.stderrContains("ghp_secretValue"))
            // A value that looks like SERVICE/USERNAME is looked up, and the message does not show it.
            let url = try cli.write("DB=postgres://u:hunter2@db/name\n", to: "url.env")
            let missing = try await cli.keyring(["run", "--env-file", url, "--", "/usr/bin/true"])
            #expect(missing.status == 1, "\(missing)")
            #expect(missing.stderrText.contains("DB") && !missing.stderrContains("hunter2"), "\(missing)")
        }
    }
}
