import ArgumentParser
import Foundation
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyState

struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Carry a share's tree to a node on a disk, so that its first sync sends only what changed since.",
        discussion: """
            For an off-site node behind a slow link (or a new standby): `seed export GROUP/SHARE DIR` on a node \
            that has the tree (the primary, the standby) writes a copy at local speed into DIR (DIR/data, and \
            DIR/seed.json with every file's SHA-256), for example on a USB disk. Carry the disk to the other node, \
            stop its daemon, and run `seed import GROUP/SHARE DIR` there: it proves the copy whole, moves it into \
            place as that node's copy of the share and marks it; start the daemon, and its first sync compares the \
            trees and sends only the differences.
            """,
        subcommands: [SeedExportCommand.self, SeedImportCommand.self]
    )
}

/// The share named GROUP/SHARE in the configuration, or a clear error.
private func shareConfiguration(
    _ name: String, in configuration: ClusterConfiguration
) throws -> (
    GroupConfiguration, ShareConfiguration
) {
    let (groupName, shareName) = ShareName.split(name)
    guard let groupName, let shareName else { throw ValidationError("name the share as GROUP/SHARE, not '\(name)'") }
    guard let group = configuration.groups[groupName] else {
        throw CommandError(
            "group '\(groupName)' is not in \(configuration.sourcePath); its groups: \(configuration.groups.keys.sorted().joined(separator: ", "))"
        )
    }
    guard let share = group.shares.first(where: { $0.name == shareName }) else {
        throw CommandError(
            "group '\(groupName)' has no share '\(shareName)'; its shares: \(group.shares.map(\.name).joined(separator: ", "))"
        )
    }
    return (group, share)
}

/// This node's tree of the share: the source on the primary, the replica on the standby, the copy on the off-site node.
private func tree(of share: ShareConfiguration, in group: GroupConfiguration, node: String) throws -> String {
    if node == group.primary { return share.source }
    if node == group.standby { return share.replica }
    if node == group.offsite { return share.offsiteReplica }
    throw CommandError("node \(node) has no tree of \(group.name)/\(share.name): it is not in group \(group.name)")
}

private func progressLine(_ verb: String, _ progress: SeedCopy.Progress) {
    FileHandle.standardError.write(
        Data(
            "\(verb) \(progress.files) of \(progress.totalFiles) files, \(ByteCount.format(progress.bytes)) of \(ByteCount.format(progress.totalBytes))\n"
                .utf8))
}

struct SeedExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy this node's tree of GROUP/SHARE into DIR (new or empty), every file hashed, made durable.")

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The share, as GROUP/SHARE.") var share: String
    @Argument(help: "A new or empty directory (for example on a USB disk).") var directory: String
    @Option(name: .long, help: "This node (default: the only node, or the one named like this host).")
    var node: String?

    func run() throws {
        let configuration = try options.load()
        let node = try ConfigOptions.node(node, in: configuration)
        let (group, share) = try shareConfiguration(self.share, in: configuration)
        let root = try tree(of: share, in: group, node: node)
        let started = Date()
        let manifest: SeedManifest
        do {
            manifest = try SeedCopy.export(
                root: root, filter: share.filter, to: absolute(directory), cluster: configuration.cluster,
                share: "\(group.name)/\(share.name)", node: node, now: started.timeIntervalSince1970
            ) { progressLine("copied", $0) }
        } catch {
            throw CommandError("cannot export \(group.name)/\(share.name) from \(root): \(error)")
        }
        print(
            "exported \(group.name)/\(share.name) from \(root) on \(node): \(manifest.files) files, \(ByteCount.format(manifest.bytes)), in \(String(format: "%.1f", Date().timeIntervalSince(started))) s, into \(directory); on the other node, with its daemon stopped: understudy seed import \(group.name)/\(share.name) \(directory)"
        )
    }
}

struct SeedImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Prove the seed in DIR whole and make it this node's copy of GROUP/SHARE (its daemon stopped).")

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The share, as GROUP/SHARE.") var share: String
    @Argument(help: "The directory `seed export` wrote.") var directory: String
    @Option(name: .long, help: "This node (default: the only node, or the one named like this host).")
    var node: String?

    func run() throws {
        let configuration = try options.load()
        let node = try ConfigOptions.node(node, in: configuration)
        let (group, share) = try shareConfiguration(self.share, in: configuration)
        let key = "\(group.name)/\(share.name)"
        guard node != group.primary else {
            throw CommandError(
                "\(node) is the primary of \(group.name): its tree is the source; import a seed on the standby or the off-site node"
            )
        }
        let target = try tree(of: share, in: group, node: node)
        // The daemon must not run: it would be syncing into the same directory.
        let lock: StateDirectoryLock
        do {
            lock = try StateDirectoryLock(stateDirectory: configuration.nodes[node]!.stateDirectory, node: node)
        } catch {
            throw CommandError("\(error)")
        }
        defer {
            // The state of the last run is kept as it was (a crash stays a crash for the next start).
            if lock.previousRunStoppedCleanly { lock.markStoppedCleanly() }
            lock.release()
        }
        let seed = absolute(directory)
        let manifest: SeedManifest
        do {
            manifest = try SeedCopy.verify(seed) { progressLine("verified", $0) }
        } catch {
            throw CommandError("\(error)")
        }
        guard manifest.cluster == configuration.cluster, manifest.share == key else {
            throw CommandError(
                "the seed in \(directory) is of \(manifest.share) in cluster \(manifest.cluster), not of \(key) in cluster \(configuration.cluster)"
            )
        }
        do {
            try SeedCopy.adopt(
                seed, manifest: manifest, into: target,
                identity: ReplicaAdoption.Identity(cluster: configuration.cluster, share: key, node: node))
        } catch {
            throw CommandError("cannot put the seed in place as \(target): \(error)")
        }
        let age = Date().timeIntervalSince1970 - manifest.exportedAt
        print(
            "imported \(key) into \(target) on \(node): \(manifest.files) files, \(ByteCount.format(manifest.bytes)), exported from \(manifest.node) \(Int(age / 60)) minutes ago; start the daemon: its first sync sends only what changed since"
        )
    }
}

private func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
