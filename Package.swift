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
        // All I/O: scanning, applying, deltas, TLS transport, state, the daemon's services.
        .target(
            name: "UnderstudyEngine",
            dependencies: [
                "UnderstudyCore", "UnderstudyWire", "CLibrsync", "CZstd", "CLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "understudy",
            dependencies: [
                "UnderstudyCore", "UnderstudyEngine",
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
                "UnderstudyEngine", "UnderstudyCore", "UnderstudyWire",
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
