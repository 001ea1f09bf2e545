// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "understudy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "understudy", targets: ["understudy"]),
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
    ],
    targets: [
        // Pure: configuration, paths, manifests and their diff, status types. No I/O, no clock reads.
        .target(name: "UnderstudyCore"),
        // Wire messages and framing; knows ByteBuffer, not sockets.
        .target(
            name: "UnderstudyWire",
            dependencies: [
                "UnderstudyCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(name: "CLibrsync", linkerSettings: [.linkedLibrary("rsync")]),
        .target(name: "CZstd", linkerSettings: [.linkedLibrary("zstd")]),
        .target(name: "CLinux"),
        // Engine modules: all I/O, one target per concern so that the compiler refuses a cycle. Lowest first; each
        // module's folder starts with an overview of its design (see ARCHITECTURE.md for the graph).
        // Processes, the monotonic clock, an HTTP(S) client, network failure wording, rate-limited refusal logs, paths
        // resolved on disk.
        .target(
            name: "UnderstudySupport",
            dependencies: [
                "UnderstudyCore", "CLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The node's durable state: one SQLite database (GRDB) and the lock that keeps one daemon per state folder.
        .target(
            name: "UnderstudyState",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The cluster's own certificate authority and each node's identity.
        .target(
            name: "UnderstudyCertificates",
            dependencies: [
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // Signatures, deltas and patches (librsync) and compression (zstd), on memory and descriptors.
        .target(name: "UnderstudyDelta", dependencies: ["CLibrsync", "CZstd"]),
        // Mutual-TLS connections between members of the cluster, framed messages, bandwidth limits.
        .target(
            name: "UnderstudyTransport",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyCertificates",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A share's tree on disk: scanning, the atomic replica writer, temporaries, adoption, cloning for archives.
        .target(
            name: "UnderstudyFileSystem",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyState", "UnderstudyDelta", "CLinux",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Change capture: inotify watches over a share's tree, with their limits.
        .target(
            name: "UnderstudyChangeCapture",
            dependencies: [
                "UnderstudyCore", "UnderstudyFileSystem", "CLinux",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Watching peers: authenticated heartbeats on every link, and service checks.
        .target(
            name: "UnderstudyHealth",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyState",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Telling people: mail (SMTP), webhooks, commands and SNMP traps.
        .target(
            name: "UnderstudyNotify",
            dependencies: [
                "UnderstudyCore", "UnderstudySupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // One share's mirror: the node's shared runtime, share contexts and captures, the primary's and the standby's
        // halves of a sync, manifests, plans, file transfer, the replica gate.
        .target(
            name: "UnderstudyReplication",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyState", "UnderstudyDelta",
                "UnderstudyTransport", "UnderstudyFileSystem", "UnderstudyChangeCapture",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Archives of replicas and the history of every file: taking, pruning, restoring, the trash.
        .target(
            name: "UnderstudyArchive",
            dependencies: [
                "UnderstudyCore", "UnderstudySupport", "UnderstudyState", "UnderstudyFileSystem", "UnderstudyReplication",
                "CLinux",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A repaired primary joining the node that took over: the common base, conflicts kept side by side.
        .target(
            name: "UnderstudyRejoin",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyDelta", "UnderstudyTransport",
                "UnderstudyFileSystem", "UnderstudyReplication",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Who serves each group: the failover service around Core's state machine, addresses, the group's actions.
        .target(
            name: "UnderstudyFailover",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyState", "UnderstudyHealth",
                "UnderstudyReplication", "UnderstudyRejoin", "CLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The control socket: the CLI's requests, and switchovers forwarded to the peer.
        .target(
            name: "UnderstudyControl",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyTransport", "UnderstudyFileSystem",
                "UnderstudyReplication", "UnderstudyArchive", "UnderstudyFailover", "CLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The composition root: the daemon that wires the engine's modules into one node, and the replication
        // sessions it runs per group (to become a state machine of Replication).
        .target(
            name: "UnderstudyNode",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "CLinux",
                "UnderstudySupport", "UnderstudyState", "UnderstudyCertificates", "UnderstudyDelta", "UnderstudyTransport",
                "UnderstudyFileSystem", "UnderstudyChangeCapture", "UnderstudyHealth", "UnderstudyNotify",
                "UnderstudyReplication", "UnderstudyArchive", "UnderstudyRejoin", "UnderstudyFailover", "UnderstudyControl",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What tests of every module share (not linked into the executable): time that moves only when told to.
        .target(name: "UnderstudyTestSupport", dependencies: ["UnderstudySupport"]),
        .executableTarget(
            name: "understudy",
            dependencies: [
                "UnderstudyCore", "UnderstudyNode", "UnderstudySupport", "UnderstudyState", "UnderstudyCertificates",
                "UnderstudyTransport", "UnderstudyFileSystem", "UnderstudyHealth", "UnderstudyNotify",
                "UnderstudyReplication", "UnderstudyArchive", "UnderstudyFailover", "UnderstudyControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "UnderstudyCoreTests", dependencies: ["UnderstudyCore"]),
        .testTarget(
            name: "UnderstudyWireTests",
            dependencies: [
                "UnderstudyWire", "UnderstudyCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "UnderstudyEngineTests",
            dependencies: [
                "UnderstudyNode", "UnderstudyCore", "UnderstudyWire", "UnderstudySupport", "UnderstudyState",
                "UnderstudyCertificates", "UnderstudyDelta", "UnderstudyTransport", "UnderstudyFileSystem",
                "UnderstudyChangeCapture", "UnderstudyHealth", "UnderstudyNotify", "UnderstudyReplication",
                "UnderstudyArchive", "UnderstudyRejoin", "UnderstudyFailover", "UnderstudyControl", "UnderstudyTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Support/smtp_sink.py"]
        ),
        // Several real nodes in network namespaces (root): the failover scenarios. Drives the built binary.
        .testTarget(name: "IntegrationTests", path: "IntegrationTests"),
    ],
    swiftLanguageModes: [.v6]
)
