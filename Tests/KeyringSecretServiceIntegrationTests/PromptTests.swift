import KeyringDBus
import KeyringSecretService
import KeyringSystem
import Synchronization
import Testing
import TestSupport

@Suite("Prompts, locking and gnome-keyring's master-password interface")
struct PromptTests {
    static let login: DBusObjectPath = "/org/freedesktop/secrets/collection/login"

    @Test func unlockThroughThePrompterAfterAWrongPassword() async throws {
        try await Fixture.with(answers: [.password("wrong"), .password(Fixture.password)]) { f in
            let login = try await f.client.defaultCollection()
            try await login.createItem(label: "t", attributes: ["unlock-test": "1"], secret: Secret("opened"))
            try await login.lock()
            #expect(try await f.client.lookup(["unlock-test": "1"]) == Secret("opened"))
            #expect(try await login.isLocked() == false)
            let passwordPrompts = f.prompter.records.filter { $0.type == "password" }
            #expect(passwordPrompts.count == 2)
        }
    }

    @Test func cancelledPromptIsDismissed() async throws {
        try await Fixture.with(answers: [.cancel]) { f in
            let login = try await f.client.defaultCollection()
            try await login.lock()
            await expectCode(.promptDismissed) { try await login.unlock() }
            #expect(try await login.isLocked())
        }
    }

    @Test func aPrompterThatNeverAnswersEndsAtTheDeadline() async throws {
        try await Fixture.with(answers: [.never]) { f in
            let client = f.client(promptTimeout: .milliseconds(500))
            try await client.connect()
            let login = try await client.defaultCollection()
            try await login.lock()
            let clock = ContinuousClock()
            let start = clock.now
            await expectCode(.promptTimedOut) { try await login.unlock() }
            #expect(clock.now - start < .seconds(5))
            #expect(await f.daemonAnswers())
            await client.disconnect()
        }
    }

    @Test func aDaemonThatExitsDuringAPromptEndsTheWait() async throws {
        // The exit must end the wait before the prompt's deadline would.
        let promptTimeout = Duration.seconds(60)
        try await Fixture.with(answers: [.never], promptTimeout: promptTimeout) { f in
            let login = try await f.client.defaultCollection()
            try await login.lock()
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await login.unlock() }
            // Kill the daemon once the prompt is really showing.
            while f.prompter.records.isEmpty, clock.now - start < promptTimeout {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!f.prompter.records.isEmpty)
            try await f.bus.killKeyringAsync()
            let result = await task.result
            #expect {
                try result.get()
            } throws: { error in
                (error as? SecretServiceError)?.code == .serviceVanished
            }
            #expect(clock.now - start < promptTimeout)
        }
    }

    @Test func cancellingTheWaitingTaskLeavesTheDaemonRunning() async throws {
        try await Fixture.with(answers: [.never]) { f in
            let login = try await f.client.defaultCollection()
            try await login.lock()
            let task = Task { try await login.unlock() }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            // Typed throws: cancellation is the client's own error, code .cancelled.
            #expect {
                try result.get()
            } throws: { ($0 as? SecretServiceError)?.code == .cancelled }
            try await Task.sleep(for: .milliseconds(200))
            #expect(await f.daemonAnswers())
        }
    }

    @Test func dismissingAPromptThatIsNotShown() async throws {
        try await Fixture.with { f in
            let login = try await f.client.defaultCollection()
            try await login.lock()
            let (unlocked, prompt) = try await f.client.requestUnlock([login.path])
            #expect(unlocked.isEmpty)
            let pending = try #require(prompt)
            try await pending.dismiss()
            #expect(try await login.isLocked())
            #expect(await f.daemonAnswers())
            #expect(f.prompter.records.isEmpty)
        }
    }

    @Test func createCollectionThroughItsPrompt() async throws {
        try await Fixture.with(answers: [.password("new-collection-password")], promptTimeout: .seconds(20)) { f in
            let created = try await f.client.createCollection(label: "Work Secrets")
            #expect(try await created.label() == "Work Secrets")
            #expect(created.name == "Work_Secrets" || created.name.lowercased().contains("work"))
            try await created.createItem(label: "in work", attributes: ["w": "1"], secret: Secret("w"))
            #expect(try await f.client.lookup(["w": "1"]) == Secret("w"))
            try await created.delete()
            #expect(try await f.client.collections().contains(created) == false)
        }
    }

    @Test func createCollectionWithoutPromptsIsRefused() async throws {
        try await Fixture.with { f in
            let strict = f.client(allowsPrompts: false)
            await expectCode(.promptRequired) { _ = try await strict.createCollection(label: "Nope") }
            await strict.disconnect()
        }
    }

    @Test func masterPasswordInterfaceCreatesUnlocksAndChanges() async throws {
        try await Fixture.with { f in
            let vault = try await f.client.createCollection(label: "Headless", masterPassword: Secret("first"))
            #expect(try await vault.isLocked() == false)
            try await vault.createItem(label: "h", attributes: ["headless": "1"], secret: Secret("server token"))
            try await vault.lock()
            await expectCode(.denied) { try await f.client.unlock(vault, masterPassword: Secret("wrong")) }
            #expect(try await vault.isLocked())
            try await f.client.unlock(vault, masterPassword: Secret("first"))
            #expect(try await vault.isLocked() == false)
            try await f.client.changeMasterPassword(of: vault, from: Secret("first"), to: Secret("second"))
            try await vault.lock()
            await expectCode(.denied) { try await f.client.unlock(vault, masterPassword: Secret("first")) }
            try await f.client.unlock(vault, masterPassword: Secret("second"))
            #expect(try await f.client.lookup(["headless": "1"]) == Secret("server token"))
            #expect(f.prompter.records.isEmpty)
        }
    }
}

/// What must be quick, not only bounded: run by scripts/test alone (the ...TimingTests suites).
@Suite("Prompts: timing")
struct PromptTimingTests {
    @Test func lockedCollectionFailsFastWithoutPrompts() async throws {
        try await Fixture.with { f in
            let login = try await f.client.defaultCollection()
            try await login.createItem(label: "t", attributes: ["locked-test": "1"], secret: Secret("v"))
            try await login.lock()
            #expect(try await login.isLocked())
            let (unlocked, locked) = try await f.client.searchItems(["locked-test": "1"])
            #expect(unlocked.isEmpty && locked.count == 1)

            let strict = f.client(allowsPrompts: false)
            try await strict.connect()
            let clock = ContinuousClock()
            let start = clock.now
            do {
                _ = try await strict.lookup(["locked-test": "1"])
                Issue.record("expected a locked error")
            } catch let error as SecretServiceError {
                #expect(error.code == .locked)
                #expect(error.message.contains("login") && error.message.contains("locked"))
            }
            #expect(clock.now - start < .seconds(1))
            #expect(f.prompter.records.isEmpty)
            await strict.disconnect()
        }
    }
}
