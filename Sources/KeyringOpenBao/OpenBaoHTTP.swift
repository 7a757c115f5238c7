#if OpenBao
import AsyncHTTPClient
import Glibc
import KeyringKit
import KeyringSystem
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One answer of the server: the status and the body.
struct OpenBaoResponse: Sendable {
    let status: Int
    let body: [UInt8]

    /// The `errors` the server gave, joined (`permission denied`), or `nil`.
    var errors: String? {
        guard let decoded = try? OpenBaoJSON.decode(ErrorBody.self, from: body), let errors = decoded.errors,
            !errors.isEmpty
        else { return nil }
        return errors.joined(separator: "; ")
    }

    private struct ErrorBody: Decodable {
        let errors: [String]?
    }
}

/// The HTTP client of one backend: made on the first request (so choosing or diagnosing the
/// backend starts no thread), with one event-loop thread (a CLI makes a few requests), TLS as
/// configured, no redirects (a redirect would carry the token elsewhere), and a deadline on
/// every request. ``shutdown()`` releases it; the next request makes a new one.
final class OpenBaoHTTP: Sendable {
    private struct Client: Sendable {
        let http: HTTPClient
        let group: MultiThreadedEventLoopGroup
    }

    private let configuration: OpenBaoConfiguration
    private let client = Mutex<Client?>(nil)

    /// The largest body accepted from the server.
    static let responseLimit = 64 << 20

    init(configuration: OpenBaoConfiguration) {
        self.configuration = configuration
    }

    deinit {
        if let client = takeClient() {
            client.http.shutdown { _ in client.group.shutdownGracefully { _ in } }
        }
    }

    /// Sends one request.
    /// - Parameters:
    ///   - method: `GET`, `POST`, `DELETE`, `LIST`.
    ///   - path: The API path after `/v1/`, already escaped (``OpenBaoPath``).
    ///   - body: A JSON body, or `nil`.
    ///   - token: The `X-Vault-Token`, or `nil`.
    /// - Returns: The status and body, whatever the status.
    /// - Throws: ``KeyringError`` `noStorageAccess` when the server cannot be reached or does
    ///   not answer in time; `invalidArgument` for unusable TLS files.
    func send(_ method: String, _ path: String, body: [UInt8]? = nil, token: String?) async throws(KeyringError)
        -> OpenBaoResponse
    {
        let client = try makeClient()
        var request = HTTPClientRequest(url: configuration.url(path))
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "X-Vault-Request", value: "true")
        if let token { request.headers.add(name: "X-Vault-Token", value: token) }
        if let namespace = configuration.namespace { request.headers.add(name: "X-Vault-Namespace", value: namespace) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let what = "\(method) \(configuration.address)/v1/\(path)"
        do {
            let response = try await client.http.execute(request, timeout: .seconds(Int64(configuration.timeoutSeconds)))
            var buffer = try await response.body.collect(upTo: Self.responseLimit)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return OpenBaoResponse(status: Int(response.status.code), body: bytes)
        } catch is CancellationError {
            throw KeyringError(.cancelled, "\(what): cancelled before the server answered")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw KeyringError(
                .timedOut, "the OpenBao server did not answer \(what) within \(configuration.timeoutSeconds) s", underlying: error
            )
        } catch {
            throw KeyringError(
                .noStorageAccess, "cannot reach the OpenBao server (\(what)): \(Self.describe(error))", underlying: error)
        }
    }

    /// Releases the connections and the thread; a later request makes them again.
    func shutdown() async {
        guard let client = takeClient() else { return }
        try? await client.http.shutdown()
        try? await client.group.shutdownGracefully()
    }

    private func makeClient() throws(KeyringError) -> Client {
        if let existing = client.withLock({ $0 }) { return existing }
        let tls = try tlsConfiguration()
        var settings = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(
                connect: .seconds(Int64(min(configuration.timeoutSeconds, 10))),
                read: .seconds(Int64(configuration.timeoutSeconds))))
        settings.httpVersion = .http1Only
        // A refused connection or a certificate the trust roots reject is an answer, now: no
        // retries until the connect deadline.
        settings.connectionPool.retryConnectionEstablishment = false
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let made = Client(http: HTTPClient(eventLoopGroupProvider: .shared(group), configuration: settings), group: group)
        let raced = client.withLock { current -> Client? in
            if let current { return current }
            current = made
            return nil
        }
        if let raced {
            made.http.shutdown { _ in group.shutdownGracefully { _ in } }
            return raced
        }
        return made
    }

    private func takeClient() -> Client? {
        client.withLock { current in
            defer { current = nil }
            return current
        }
    }

    private func tlsConfiguration() throws(KeyringError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            var roots: [NIOSSLCertificate] = []
            if let file = configuration.caCertificate {
                roots += try NIOSSLCertificate.fromPEMFile(file)
            }
            if let directory = configuration.caDirectory {
                for name in try Self.directoryEntries(directory).sorted() where name.hasSuffix(".pem") || name.hasSuffix(".crt") {
                    roots += try NIOSSLCertificate.fromPEMFile(directory + "/" + name)
                }
            }
            if configuration.caCertificate != nil || configuration.caDirectory != nil {
                guard !roots.isEmpty else {
                    throw KeyringError(.invalidArgument, "no CA certificate found in the configured CA file or directory")
                }
                tls.trustRoots = .certificates(roots)
            }
            if let certificate = configuration.clientCertificate, let key = configuration.clientKey {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
        } catch let error as KeyringError {
            throw error
        } catch {
            let files = [
                configuration.caCertificate, configuration.caDirectory, configuration.clientCertificate, configuration.clientKey,
            ]
            .compactMap { $0 }.joined(separator: ", ")
            throw KeyringError(.invalidArgument, "cannot load the TLS files (\(files)): \(error)", underlying: error)
        }
        if configuration.skipsVerification { tls.certificateVerification = .none }
        return tls
    }

    private static func directoryEntries(_ path: String) throws(KeyringError) -> [String] {
        guard let directory = opendir(path) else {
            throw KeyringError(.invalidArgument, "cannot read the CA directory \(path)")
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// An error of the HTTP stack, in words (NIO's descriptions name the address, never a header).
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return error.description }
        return String(describing: error)
    }
}
#endif
