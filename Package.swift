// swift-tools-version:6.1
import PackageDescription

/// Our own modules, named without their "Understudy" prefix.
func modules(_ names: String...) -> [Target.Dependency] { names.map { .target(name: "Understudy" + $0) } }

/// Library products by module name; each comes from the package that the table names (swift-nio by default).
func libraries(_ names: String...) -> [Target.Dependency] {
    let packages = [
        "NIOSSL": "swift-nio-ssl", "X509": "swift-certificates", "Crypto": "swift-crypto", "SwiftASN1": "swift-asn1",
        "GRDB": "GRDB.swift", "Logging": "swift-log", "ServiceLifecycle": "swift-service-lifecycle",
        "ArgumentParser": "swift-argument-parser", "Hummingbird": "hummingbird", "HummingbirdHTTP2": "hummingbird",
        "Prometheus": "swift-prometheus", "Metrics": "swift-metrics", "CoreMetrics": "swift-metrics",
        "HummingbirdBcrypt": "hummingbird-auth", "UnixSignals": "swift-service-lifecycle",
    ]
    return names.map { .product(name: $0, package: packages[$0] ?? "swift-nio") }
}

let package = Package(
    name: "understudy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "understudy", targets: ["understudy"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // One explicit trait: without swift-configuration, and the same build for `swift build` and `swift test`.
        .package(
            url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    ],
    targets: [
        // Pure: configuration, paths, manifests and their diff, status types. No I/O, no clock reads.
        .target(name: "UnderstudyCore"),
        // Wire messages and framing; knows ByteBuffer, not sockets.
        .target(name: "UnderstudyWire", dependencies: modules("Core") + libraries("NIOCore")),
        .target(name: "CLibrsync", linkerSettings: [.linkedLibrary("rsync")]),
        // Block signatures and the delta search (rolling sums, XXH3 from libxxhash-dev's header, inlined).
        .target(name: "CBlockDelta", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "CZstd", linkerSettings: [.linkedLibrary("zstd")]),
        .target(name: "CLinux"),

        // Engine modules: all I/O, one target per concern so that the compiler refuses a cycle. Lowest first; each
        // starts with an overview of its design (Overview.swift), and ARCHITECTURE.md draws the graph.

        // The engine's clock, processes, an HTTP(S) client, network failure wording, rate-limited refusal logs,
        // paths resolved on disk.
        .target(
            name: "UnderstudySupport",
            dependencies: modules("Core") + ["CLinux"]
                + libraries("NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOHTTP1", "NIOSSL", "Logging")
        ),
        // The node's durable state: one SQLite database (GRDB) and the lock that keeps one daemon per state folder.
        .target(
            name: "UnderstudyState",
            dependencies: modules("Core", "Wire", "Support") + libraries("NIOConcurrencyHelpers", "GRDB")
        ),
        // The cluster's own certificate authority and each node's identity.
        .target(
            name: "UnderstudyCertificates",
            dependencies: modules("Core") + libraries("NIOSSL", "X509", "Crypto", "SwiftASN1")
        ),
        // Signatures and deltas (CBlockDelta), patches (librsync) and compression (zstd), on memory and descriptors.
        .target(name: "UnderstudyDelta", dependencies: ["CBlockDelta", "CLibrsync", "CZstd"]),
        // Mutual-TLS connections between members of the cluster, framed messages, bandwidth limits.
        .target(
            name: "UnderstudyTransport",
            dependencies: modules("Core", "Wire", "Support", "Certificates")
                + libraries("NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOTLS", "NIOSSL", "X509", "Logging")
        ),
        // A share's tree on disk: scanning, the atomic replica writer, temporaries, adoption, cloning for archives.
        .target(
            name: "UnderstudyFileSystem",
            dependencies: modules("Core", "Wire", "Support", "State", "Delta") + ["CLinux"] + libraries("Crypto")
        ),
        // Change capture: inotify watches over a share's tree, with their limits.
        .target(
            name: "UnderstudyChangeCapture",
            dependencies: modules("Core", "FileSystem") + ["CLinux"] + libraries("NIOConcurrencyHelpers")
        ),
        // Watching peers: authenticated heartbeats on every link, and service checks.
        .target(
            name: "UnderstudyHealth",
            dependencies: modules("Core", "Wire", "Support", "State")
                + libraries("NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "Crypto", "Logging", "ServiceLifecycle")
        ),
        // Telling people: mail (SMTP), webhooks, commands and SNMP traps.
        .target(
            name: "UnderstudyNotify",
            dependencies: modules("Core", "Support")
                + libraries(
                    "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOTLS", "NIOSSL", "Crypto", "Logging",
                    "ServiceLifecycle", "Metrics")
        ),
        // The replication session's protocol as pure state machines (the primary's and the standby's halves of a
        // sync): messages and results in, actions out; no sockets, no files. Manifests travel zstd-compressed.
        .target(name: "UnderstudySession", dependencies: modules("Core", "Wire", "Delta") + libraries("NIOCore")),
        // One share's mirror: the node's shared runtime and its holder changes, share contexts and captures, the I/O
        // of the primary's and the standby's halves of a sync (Session's machines say what), file transfer, the gate.
        .target(
            name: "UnderstudyReplication",
            dependencies: modules(
                "Core", "Wire", "Support", "State", "Delta", "Session", "Transport", "FileSystem", "ChangeCapture")
                + ["CLinux"] + libraries("NIOCore", "NIOConcurrencyHelpers", "Crypto", "Logging", "ServiceLifecycle")
        ),
        // Archives of replicas and the history of every file: taking, pruning, restoring, the trash.
        .target(
            name: "UnderstudyArchive",
            dependencies: modules("Core", "Support", "State", "FileSystem", "Replication") + ["CLinux"]
                + libraries("NIOConcurrencyHelpers", "Logging", "ServiceLifecycle")
        ),
        // A repaired primary joining the node that took over: the common base, conflicts kept side by side.
        .target(
            name: "UnderstudyRejoin",
            dependencies: modules(
                "Core", "Wire", "Support", "State", "Delta", "Session", "Transport", "FileSystem", "Replication")
                + libraries("NIOCore", "Crypto", "Logging")
        ),
        // Who serves each group: the failover service around Core's state machine, addresses, the group's actions.
        .target(
            name: "UnderstudyFailover",
            dependencies: modules("Core", "Wire", "Support", "State", "Health", "Replication", "Rejoin") + ["CLinux"]
                + libraries("NIOCore", "NIOConcurrencyHelpers", "Logging", "ServiceLifecycle", "Metrics")
        ),
        // Proofs of readiness on a standby: the group's services run on a snapshot of the replica in private
        // namespaces, its checks against them, the result recorded.
        .target(
            name: "UnderstudyProof",
            dependencies: modules("Core", "Support", "State", "FileSystem", "Health", "Replication", "Failover")
                + ["CLinux"] + libraries("NIOPosix", "NIOConcurrencyHelpers", "Logging", "ServiceLifecycle", "Crypto")
        ),
        // Who may use the console and the API: users with roles (bcrypt), API tokens, kept in the state database.
        .target(
            name: "UnderstudyAccounts",
            dependencies: modules("Core", "State") + libraries("NIOConcurrencyHelpers", "Crypto", "HummingbirdBcrypt")
        ),
        // The control socket: the CLI's requests, and switchovers forwarded to the peer.
        .target(
            name: "UnderstudyControl",
            dependencies: modules(
                "Core", "Wire", "Support", "State", "Transport", "FileSystem", "Replication", "Rejoin", "Archive",
                "Failover", "Accounts", "Proof")
                + ["CLinux"] + libraries("NIOCore", "NIOPosix", "NIOSSL", "Logging", "ServiceLifecycle")
        ),
        // A node's peer sessions per group: serving the standbys that connect, following the holder, switching
        // between the two when the holder changes; around the sync sessions of Replication and the rejoin.
        .target(
            name: "UnderstudyPeers",
            dependencies: modules(
                "Core", "Wire", "Support", "State", "Delta", "Session", "Transport", "FileSystem", "Replication",
                "Rejoin")
                + ["CLinux"]
                + libraries("NIOCore", "NIOConcurrencyHelpers", "NIOSSL", "Logging", "ServiceLifecycle", "Metrics")
        ),
        // The operator's surface over HTTPS: health probes, Prometheus metrics, the JSON API and the web console
        // (Hummingbird), on the node's typed control API.
        .target(
            name: "UnderstudyConsole",
            dependencies: modules("Core", "Support", "State", "Control", "Accounts")
                + libraries(
                    "NIOCore", "NIOConcurrencyHelpers", "NIOSSL", "Hummingbird", "HummingbirdHTTP2", "Prometheus",
                    "CoreMetrics",
                    "Logging",
                    "ServiceLifecycle"),
            // The web console's files, built into the binary by scripts/embed-assets (Generated/).
            exclude: ["Web"]
        ),
        // The composition root: the daemon that wires the engine's modules into one node, giving each the narrow
        // protocol it declared of the node.
        .target(
            name: "UnderstudyNode",
            dependencies: modules(
                "Core", "Wire", "Support", "State", "Certificates", "Delta", "Session", "Transport", "FileSystem",
                "ChangeCapture", "Health", "Notify", "Replication", "Archive", "Rejoin", "Failover", "Control", "Peers",
                "Accounts", "Console", "Proof")
                + ["CLinux"]
                + libraries(
                    "NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOSSL", "Logging", "ServiceLifecycle", "Metrics")
        ),
        // `understudy doctor`: judgements of a machine for a node (pure), over what the machine reports (a seam).
        .target(name: "UnderstudyDoctor", dependencies: modules("Core", "FileSystem") + ["CLinux"]),
        // What tests of every module share (not linked into the executable): time that moves only when told to.
        .target(name: "UnderstudyTestSupport", dependencies: modules("Support")),
        .executableTarget(
            name: "understudy",
            dependencies: modules(
                "Core", "Node", "Support", "State", "Certificates", "Transport", "FileSystem", "Health", "Notify",
                "Replication", "Archive", "Failover", "Control", "Doctor", "Proof")
                + libraries("ArgumentParser", "Logging", "ServiceLifecycle", "UnixSignals", "Metrics")
        ),
        .testTarget(name: "UnderstudyCoreTests", dependencies: modules("Core")),
        .testTarget(
            name: "UnderstudySessionTests",
            dependencies: modules("Session", "Core", "Wire", "Delta") + libraries("NIOCore")
        ),
        .testTarget(
            name: "UnderstudyWireTests",
            dependencies: modules("Wire", "Core") + libraries("NIOCore", "NIOEmbedded")
        ),
        .testTarget(
            name: "UnderstudyEngineTests",
            dependencies: modules(
                "Node", "Core", "Wire", "Support", "State", "Certificates", "Delta", "Session", "Transport",
                "FileSystem",
                "ChangeCapture", "Health", "Notify", "Replication", "Archive", "Rejoin", "Failover", "Control", "Peers",
                "Accounts", "Console", "Doctor", "TestSupport", "Proof")
                + libraries(
                    "Crypto", "ServiceLifecycle", "NIOCore", "NIOPosix", "NIOSSL", "Logging", "NIOConcurrencyHelpers",
                    "NIOHTTP1"),
            exclude: ["Support/smtp_sink.py", "Console/console_browser.py"]
        ),
        // Several real nodes in network namespaces (root): the failover scenarios. Drives the built binary.
        .testTarget(name: "IntegrationTests", path: "IntegrationTests"),
    ],
    swiftLanguageModes: [.v6]
)
