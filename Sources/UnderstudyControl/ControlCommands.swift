import CLinux
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import UnderstudyArchive
import UnderstudyCore
import UnderstudyFailover
import UnderstudyReplication
import UnderstudySupport

/// The local control API: a Unix socket (mode 0600, in the state directory by default) where each line is a
/// JSON `ControlRequest` and each answer a JSON `ControlResponse` line. Only root or the daemon's user can
/// connect. The CLI uses it; the web console will too.
package struct ControlServer: Service, Sendable {
    let node: NodeRuntime
    let socketPath: String
    let syncRequests: [String: SyncRequests]
    var failover: FailoverService? = nil
    var archives: ArchiveService? = nil
    /// For asking the peer (a switchover asked for on the follower).
    var peerTLS: NIOSSLContext? = nil

    /// Binds the control socket, mode 0600 from its first instant (a socket made with the process umask and then
    /// restricted would be open to everyone for a moment). A file left by a daemon that died is replaced: the state
    /// directory's lock, held by this process, says no other daemon of this node uses it.
    static func listen(path: String) throws -> Int32 {
        unlink(path)
        let fd = understudy_unix_listen(path, 128)
        guard fd >= 0 else {
            throw NodeError(.systemCall, "cannot create the control socket \(path): \(errnoText(-fd))")
        }
        return fd
    }

    /// Answers on the control socket until cancelled or shut down gracefully; the socket is removed then.
    package func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.answer() }
    }

    private func answer() async throws {
        let descriptor = try Self.listen(path: socketPath)
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(descriptor) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            // NIO closed the descriptor it was given (closing it again could close another thread's file).
            unlink(socketPath)
            throw error
        }
        node.logger.info("control socket at \(socketPath)")
        defer { unlink(socketPath) }
        try await withTaskCancellationHandler {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { try? await serve(connection) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            for try await line in inbound {
                let response = await handle(Data(line.readableBytesView))
                var data = try JSONEncoder.control.encode(response)
                data.append(UInt8(ascii: "\n"))
                try await outbound.write(ByteBuffer(bytes: data))
            }
        }
    }

    func handle(_ data: Data) async -> ControlResponse {
        let request: ControlRequest
        do {
            request = try JSONDecoder.control.decode(ControlRequest.self, from: data)
        } catch let refusal as ControlRequestError {
            return .failure(ControlRequestError(refusal.code, "bad control request: \(refusal.message)"))
        } catch {
            return .failure(
                ControlRequestError(
                    .badRequest,
                    "bad control request: \(error); expected one JSON object per line, like {\"version\": \(ControlRequest.version), \"command\": \"status\"}"
                ))
        }
        switch request {
        case .archives, .archiveNow, .archiveRemove, .history, .restore:
            guard let archives else {
                return ControlResponse.refused("node \(node.name) keeps no replica, so it has no archives or history")
            }
            return await handleArchive(request, archives)
        case .switchover, .failback, .conflicts, .conflictResolve:
            return await handleRoles(request)
        case .adopt(let share, let mode):
            return await handleAdopt(share: share, mode: mode)
        case .status:
            return ControlResponse.status(report())
        case .failover(let group, let force):
            guard let failover, failover.isActive else {
                return ControlResponse.refused(
                    "node \(node.name) takes part in no failover: its groups' nodes share no link (add [nodes.NAME.links] to both nodes)",
                    code: "no-failover")
            }
            switch failover.manualFailover(group: group, force: force) {
            case .success(let message): return ControlResponse.done(message)
            case .failure(let refusal): return .failure(refusal)
            }
        case .sync(let group):
            return await sync(group)
        }
    }

    /// `understudy sync [GROUP]`: the follower of each group (the node that does not hold it now) syncs it.
    private func sync(_ group: String?) async -> ControlResponse {
        let targets: [String]
        if let group {
            guard syncRequests[group] != nil, !node.owns(group: group) else {
                if let configured = node.configuration.groups[group] {
                    return ControlResponse.refused(
                        "group '\(group)' is synced by the node that follows it, \(configured.peer(of: node.name)): run `understudy sync \(group)` there"
                    )
                }
                return ControlResponse.refused("no group '\(group)' in \(node.configuration.sourcePath)")
            }
            targets = [group]
        } else {
            targets = syncRequests.keys.sorted().filter { !node.owns(group: $0) }
            if targets.isEmpty {
                return ControlResponse.refused(
                    "node \(node.name) follows no group (it serves them); syncs are driven by the follower")
            }
        }
        var results: [SyncResult] = []
        for group in targets {
            results += await syncRequests[group]!.request()
        }
        return .synced(results, status: report())
    }

    private func handleArchive(_ request: ControlRequest, _ service: ArchiveService) async -> ControlResponse {
        do {
            switch request {
            case .archives(let group, let share):
                return ControlResponse.archives(try await service.list(group: group, share: share))
            case .archiveNow(let group, let share, let series):
                let context = try service.context(group: group, share: share)
                let series = series ?? "manual"
                let schedule = context.group.archives.first { $0.share == context.share.name && $0.name == series }
                guard series == "manual" || schedule != nil else {
                    let names =
                        ["manual"] + context.group.archives.filter { $0.share == context.share.name }.map(\.name)
                    throw ArchiveError(
                        .unknownSchedule,
                        "\(context.key) has no archive schedule '\(series)'; use one of \(names.joined(separator: ", "))"
                    )
                }
                let info = try await service.takeArchive(context, series: series, paths: schedule?.paths ?? [])
                return ControlResponse.archives([info])
            case .archiveRemove(let group, let share, let id):
                let context = try service.context(group: group, share: share)
                try await service.removeArchive(context, id: id, reason: "removed by request")
                service.updateStatus(context)
                return ControlResponse.done("archive \(id) of \(context.key) removed")
            case .history(let path):
                return ControlResponse.history(try service.history(path: path))
            case .restore(let path, let archive, let at, let to, let inPlace, let overwrite):
                let report = try await service.restore(
                    path: path, archive: archive, at: at, to: to, inPlace: inPlace, overwrite: overwrite)
                return ControlResponse.restored(report)
            default:
                return ControlResponse.refused("not an archive command")
            }
        } catch {
            return .failure(error)
        }
    }

    func report() -> NodeStatusReport {
        let open = (try? node.database.conflicts()) ?? []
        var groups = node.status.snapshot(now: node.now())
        for index in groups.indices {
            let count = open.filter { $0.share.hasPrefix(groups[index].name + "/") }.count
            groups[index].openConflicts = count > 0 ? count : nil
        }
        return NodeStatusReport(
            cluster: node.configuration.cluster, node: node.name, version: UnderstudyVersion.current,
            startedAt: node.startedAt, groups: groups,
            failover: failover?.isActive == true ? failover?.snapshot() : nil)
    }

    package init(
        node: NodeRuntime, socketPath: String, syncRequests: [String: SyncRequests], failover: FailoverService? = nil,
        archives: ArchiveService? = nil, peerTLS: NIOSSLContext? = nil
    ) {
        self.node = node
        self.socketPath = socketPath
        self.syncRequests = syncRequests
        self.failover = failover
        self.archives = archives
        self.peerTLS = peerTLS
    }
}

/// Splits a byte stream at newlines; refuses a line longer than 1 MiB.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 1024 * 1024 { throw NodeError(.badRequest, "control request longer than 1 MiB") }
            return .needMoreData
        }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

extension JSONEncoder {
    public static var control: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    public static var control: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

public enum UnderstudyVersion {
    public static let current = "0.1.0"
}
